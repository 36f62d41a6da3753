/**
 * The PyTorch example's app: one PyTorchStack (pytorch-stack.ts says what it builds).
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
