export * from './drift-baseline';
export * from './drift-monitor';
export * from './drift-monitor-props';
export * from './drift-statistics';
export * from './mlops-dashboard';
