import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'build/**', 'dist/**', 'assets/**', 'cdk.out/**', '**/*.js', '**/*.d.ts'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-require-imports': 'error',
      'no-restricted-syntax': ['error', {
        selector: 'Literal[value=/arn:aws:/]',
        message: "No literal 'arn:aws:' partition: use Aws.PARTITION or Stack.formatArn so GovCloud and China work.",
      }, {
        selector: 'TemplateElement[value.raw=/arn:aws:/]',
        message: "No literal 'arn:aws:' partition: use Aws.PARTITION or Stack.formatArn so GovCloud and China work.",
      }],
    },
  },
  {
    // Tests may hold literal ARNs as fixtures of imported resources.
    files: ['test/**/*.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
