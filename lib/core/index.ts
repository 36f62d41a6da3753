export * from './instance-type';
export * from './sagemaker-image';
export * from './nag-findings';
