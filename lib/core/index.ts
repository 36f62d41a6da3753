export * from './instance-type';
export * from './sagemaker-image';
