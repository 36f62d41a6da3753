/**
 * Continuous delivery of the ML stack itself (MLOps level 2): a CDK Pipelines pipeline that
 * builds this repository on every push, updates itself, deploys the ML stack to a staging
 * stage, waits for a person's approval, and deploys the same stack to production.
 *
 * - Staging promotes automatically: every model that passes the gate is deployed by its run.
 * - Production serves only model packages approved in its registry (`PromotionMode.MANUAL`):
 *   approving a version there deploys it.
 * - Each deployment keeps the version a promotion set. CodePipeline's CloudFormation actions
 *   would reset the stack's model version parameter to its default `none` (and remove the
 *   endpoint); `ModelVersionCarryOver` reads the current value before each change set and
 *   passes it with `Fn::GetParam`.
 *
 * The source is a GitHub repository through an AWS CodeConnections connection. Context:
 *   repository        owner/name on GitHub (default: cdk-mlops/cdk-mlops, this project)
 *   branch            the branch that deploys (default: main)
 *   connectionArn     an existing connection (default: the stack creates one, which a person
 *                     authorizes once in the console: Developer Tools > Settings > Connections)
 *   stagingAccount, productionAccount, region
 *                     where the stages deploy (default: the pipeline's own account and region;
 *                     other accounts must be bootstrapped with `cdk bootstrap --trust <pipeline account>`)
 *
 * Synthesize with:
 *   npx cdk synth --app "node -r ./test/helpers/swc-register.js examples/cd-pipeline/app.ts"
 * Deploy the pipeline once with `cdk deploy MlopsDelivery`; from then on a push deploys.
 */
import { App } from 'aws-cdk-lib';
import { DeliveryPipelineStack } from './delivery-pipeline-stack';
import { addNagPacks } from '../nag-packs';

const app = new App();
// Every cdk-nag pack runs at synth; an unacknowledged finding fails `cdk synth`. Added before the
// stacks: CDK Pipelines synthesizes each stage when it is added.
addNagPacks(app);
const context = (key: string): string | undefined => app.node.tryGetContext(key);
const region = context('region') ?? process.env.CDK_DEFAULT_REGION;
new DeliveryPipelineStack(app, 'MlopsDelivery', {
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  repository: context('repository') ?? 'cdk-mlops/cdk-mlops',
  branch: context('branch') ?? 'main',
  connectionArn: context('connectionArn'),
  staging: { account: context('stagingAccount') ?? process.env.CDK_DEFAULT_ACCOUNT, region },
  production: { account: context('productionAccount') ?? process.env.CDK_DEFAULT_ACCOUNT, region },
});
