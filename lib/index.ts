// One folder per stage of the ML lifecycle, in the order data flows (see docs/ARCHITECTURE.md).
export * from './core';
export * from './lake';
export * from './registry';
export * from './serving';
export * from './training';
export * from './monitoring';
export * from './ml-pipeline';
export * from './ml-pipeline-props';
export * from './model-fleet';
export * from './model-fleet-props';
