export * from './model-registry';
export * from './register-model-package';
