/**
 * Several models on one GPU endpoint through SageMaker inference components. One ml.g5.12xlarge
 * (4 A10G GPUs) hosts:
 * - a churn model in PyTorch's inference container, 1 GPU per copy, up to 3 copies;
 * - a fraud model whose version comes from a model registry: it exists once a version is
 *   promoted (2 GPUs per copy);
 * - a CPU-only text classifier that reserves no GPU.
 * Every model scales to zero copies when idle, and managed instance scaling then takes the
 * endpoint to zero instances; it adds a second instance when the copies need one. The first
 * request to an idle model fails (NoCapacityInvocationFailures) and starts a copy, which takes
 * minutes: an instance, then the model.
 *
 * Synthesize with:
 *   npx cdk synth --app "node -r ./test/helpers/swc-register.js examples/shared-endpoint/app.ts"
 */
import { App, Duration, Size, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import {
  ComponentScalingMetric, DataLake, DataZone, InferenceDataLocation, MlInstanceType, ModelRegistry, ModelSource, ModelVersionParameter, SageMakerImage, SharedEndpoint,
} from '../../lib';
import { addNagPacks } from '../nag-packs';

const PYTORCH = SageMakerImage.pytorchInference('2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker');

const app = new App();
const stack = new Stack(app, 'SharedEndpointExample');
const lake = new DataLake(stack, 'Lake');
const registry = new ModelRegistry(stack, 'FraudModels', { modelPackageGroupName: 'fraud' });
const fraudVersion = new ModelVersionParameter(stack, 'FraudVersion', { registry });

const endpoint = new SharedEndpoint(stack, 'Models', {
  endpointName: 'shared-models',
  instanceType: MlInstanceType.ML_G5_12XLARGE,
  managedInstanceScaling: { minInstanceCount: 0, maxInstanceCount: 2 },
});

const churn = endpoint.addComponent('Churn', {
  inferenceComponentName: 'churn',
  model: ModelSource.fromArtifact(PYTORCH, lake.artifactsBucket, 'churn/model.tar.gz'),
  computeResources: { acceleratorCount: 1, minMemory: Size.gibibytes(16), cpuCores: 4 },
  autoScaling: { minCopyCount: 0, maxCopyCount: 3, metric: ComponentScalingMetric.concurrentRequestsPerCopy(4) },
});

endpoint.addComponent('Fraud', {
  inferenceComponentName: 'fraud',
  // The role may read the registered artifacts under the fraud pipeline's runs.
  model: fraudVersion.modelSource({ image: PYTORCH, modelDataLocation: InferenceDataLocation.fromDataLake(lake, 'fraud/runs/', DataZone.ARTIFACTS) }),
  computeResources: { acceleratorCount: 2, minMemory: Size.gibibytes(48), cpuCores: 8 },
  autoScaling: { minCopyCount: 0, maxCopyCount: 2, scaleInCooldown: Duration.minutes(30) },
  modelDataDownloadTimeout: Duration.minutes(15),
});

endpoint.addComponent('Topics', {
  inferenceComponentName: 'topics',
  model: ModelSource.fromArtifact(SageMakerImage.sklearn(), lake.artifactsBucket, 'topics/model.tar.gz'),
  computeResources: { minMemory: Size.gibibytes(4), cpuCores: 2 },
  autoScaling: { minCopyCount: 0, maxCopyCount: 2 },
});

// The churn application may call its own model on the shared endpoint, and no other.
const churnApp = new iam.Role(stack, 'ChurnApp', { assumedBy: new iam.AccountPrincipal(stack.account) });
churn.grantInvoke(churnApp);
Validations.of(churnApp).acknowledge(
  ...['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'].map((pack) => ({
    id: `${pack}::${pack}-IAMNoInlinePolicy`,
    reason: 'The policy belongs to this one role and holds only the grant to invoke the churn model; a managed policy would grant the same.',
  })),
);

// Every cdk-nag pack runs at synth; an unacknowledged finding fails `cdk synth`.
addNagPacks(app);
