/** Every example synthesizes through the real CDK CLI and passes cfn-lint (test/helpers/gates.ts). */
import { APPS, expectSynthAndCfnLintClean, SLOW } from './helpers/gates';

const EXAMPLES = APPS.filter((app) => app.startsWith('examples/'));

describe('cfn-lint', () => {
  test.each(EXAMPLES)('passes on every template that %s synthesizes', (app) => {
    expectSynthAndCfnLintClean(app);
  }, SLOW);
});
