/**
 * Bring your own container: a Dockerfile (container/) whose `train` and `serve` programs honour
 * SageMaker's container contract, built as an image asset by `cdk deploy` (synth needs no Docker).
 *
 * Synthesize with:
 *   npx cdk synth --app "node -r ./test/helpers/swc-register.js examples/byoc/app.ts"
 */
import { App } from 'aws-cdk-lib';
import { ByocStack } from './byoc-stack';
import { addNagPacks } from '../nag-packs';

const app = new App();
new ByocStack(app, 'ByocExample');
// Every cdk-nag pack runs at synth; an unacknowledged finding fails `cdk synth`.
addNagPacks(app);
