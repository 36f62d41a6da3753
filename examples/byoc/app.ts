/**
 * Bring your own container: a Dockerfile (container/) whose `train` and `serve` programs honour
 * SageMaker's container contract, built as an image asset by `cdk deploy` (synth needs no Docker).
 *
 * Synthesize with:
 *   npx cdk synth --app "node -r ./test/helpers/swc-register.js examples/byoc/app.ts"
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { ByocStack } from './byoc-stack';

const app = new App();
new ByocStack(app, 'ByocExample');
// Every cdk-nag pack runs at synth; an unacknowledged finding fails `cdk synth`.
Validations.of(app).addPlugins(
  new AwsSolutionsChecks(app),
  new NIST80053R5Checks(app),
  new HIPAASecurityChecks(app),
  new PCIDSS321Checks(app),
);
