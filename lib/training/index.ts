export * from './metric-gate';
export * from './feature-schema';
export * from './step-options';
export * from './tasks/job-options';
export * from './tasks/processing-job';
export * from './tasks/training-job';
export * from './training-pipeline';
export * from './training-pipeline-props';
