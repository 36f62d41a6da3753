/**
 * PyTorch in script mode on a multi-GPU instance, served by PyTorch's inference container on a
 * GPU endpoint. The program is a local source directory (examples/training/scripts/pytorch: the
 * entry point train.py, the `churn` package and requirements.txt), packed at synth into a
 * tar.gz asset. torchrun starts one process per GPU of each ml.g5.12xlarge (4 A10G GPUs), two
 * instances in one process group: eight ranks train one DistributedDataParallel model.
 *
 * A run preprocesses the raw data, trains, and registers the model pending manual approval when
 * its validation AUC reaches 0.8. Approving a version in the registry promotes it: the endpoint's
 * model version parameter changes and CloudFormation rolls it out blue/green. Until the first
 * promotion there is no endpoint.
 *
 * Synthesize with:
 *   npx cdk synth --app "node -r ./test/helpers/swc-register.js examples/pytorch/app.ts"
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import { PyTorchStack } from './pytorch-stack';

const app = new App();
new PyTorchStack(app, 'PyTorchExample');
// Every cdk-nag pack runs at synth; an unacknowledged finding fails `cdk synth`.
Validations.of(app).addPlugins(
  new AwsSolutionsChecks(app),
  new NIST80053R5Checks(app),
  new HIPAASecurityChecks(app),
  new PCIDSS321Checks(app),
);
