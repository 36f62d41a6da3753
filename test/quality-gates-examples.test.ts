/** Every example synthesizes through the real CDK CLI and passes cfn-lint (test/helpers/gates.ts). */
import { APPS, cfnLint, CfnLintRun, expectSynthesizedAndCfnLintClean, SLOW, synthesize, Synthesized } from './helpers/gates';

const EXAMPLES = APPS.filter((app) => app.startsWith('examples/'));

describe('cfn-lint', () => {
  let synthesized: Map<string, Synthesized>;
  let lint: CfnLintRun;

  // Each example through the CLI, then one cfn-lint over all their templates: each test reads its own findings.
  beforeAll(() => {
    synthesized = new Map(EXAMPLES.map((app) => [app, synthesize(app)]));
    lint = cfnLint([...synthesized.values()].flatMap((synth) => synth.templates));
  }, SLOW * (EXAMPLES.length + 1));

  test.each(EXAMPLES)('passes on every template that %s synthesizes', (app) => {
    expectSynthesizedAndCfnLintClean(synthesized.get(app)!, lint);
  });
});
