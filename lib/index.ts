export * from './data-lake';
