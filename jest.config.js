/** Fast unit tests: swc strips types (tsc and jsii run in the quality gates, test/quality-gates*.test.ts). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // TypeScript first, so stale compiled JavaScript in build/ can never shadow the sources.
  moduleFileExtensions: ['ts', 'js', 'json'],
  transform: { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] },
  setupFiles: ['<rootDir>/test/helpers/env.ts'],
  // CDK's validator starts once per worker, not once per test file (test/helpers/shared-validator.js).
  moduleNameMapper: { '^@aws/cloudformation-validate$': '<rootDir>/test/helpers/shared-validator.js' },
  // One temporary root per run, deleted at the end (test/helpers/temp-root.js).
  globalSetup: '<rootDir>/test/helpers/global-setup.js',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.js',
  testTimeout: 60_000,
  // The quality gates first: they are the slowest files (test/helpers/sequencer.js).
  testSequencer: '<rootDir>/test/helpers/sequencer.js',
  // Each worker synthesizes stacks (~250 MB); two workers match the two cores here.
  maxWorkers: 2,
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js'],
};
