/**
 * Gates that no unit test can replace, one file per gate so they run side by side (see
 * test/helpers/gates.ts): here, the reference app synthesizes through the real CDK CLI, with every
 * cdk-nag pack, and passes cfn-lint. The examples, jsii, eslint and tsc gates are in
 * test/quality-gates-*.test.ts.
 */
import { APPS, expectCfnLintInstalled, expectSynthAndCfnLintClean, SLOW } from './helpers/gates';

describe('cfn-lint', () => {
  test('is installed (the gate must not pass silently without it)', () => {
    expectCfnLintInstalled();
  });

  test('the gates cover the reference app and every example', () => {
    expect(APPS).toEqual(expect.arrayContaining(['bin/app.ts', 'examples/data-lake/app.ts', 'examples/training/app.ts']));
  });

  test('passes on every template that bin/app.ts synthesizes', () => {
    expectSynthAndCfnLintClean('bin/app.ts');
  }, SLOW);
});
