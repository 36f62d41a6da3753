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
import { App } from 'aws-cdk-lib';
import { PyTorchStack } from './pytorch-stack';
import { addNagPacks } from '../nag-packs';

const app = new App();
new PyTorchStack(app, 'PyTorchExample');
// Every cdk-nag pack runs at synth; an unacknowledged finding fails `cdk synth`.
addNagPacks(app);
