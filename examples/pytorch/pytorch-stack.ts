import * as path from 'path';
import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  AutoScalingMetric, DataLake, DataZone, DistributedTraining, FeatureSchema, FeatureType, InferenceDataLocation, MetricSource,
  MlInstanceType, ModelEndpoint, ModelRegistry, ModelVersionParameter, PromotionMode, SageMakerImage, TrainingDataLayout,
  TrainingPipeline,
} from '../../lib';

const SCRIPTS = path.join(__dirname, '..', 'training', 'scripts');
/** The PyTorch source directory: train.py, the churn package, requirements.txt. */
export const SOURCE_DIRECTORY = path.join(SCRIPTS, 'pytorch');
/** The PyTorch Deep Learning Containers of one framework version: training and inference must match. */
export const PYTORCH_TAG = '2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker';
const FEATURES = ['tenure_months', 'monthly_charges', 'support_calls', 'usage_gb', 'contract_years', 'age'];
const PIPELINE_NAME = 'churn-pytorch';

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
 */
export class PyTorchStack extends Stack {
  public readonly pipeline: TrainingPipeline;
  public readonly endpoint: ModelEndpoint;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, {
      description: 'cdk-mlops example: PyTorch script mode with torchrun on multi-GPU instances, served on a GPU endpoint',
      ...props,
    });
    const lake = new DataLake(this, 'Lake');
    const registry = new ModelRegistry(this, 'Registry', { modelPackageGroupName: 'churn-pytorch', description: 'PyTorch churn models' });

    // The version the endpoint serves: 'none' (no endpoint) until a version is approved.
    const modelVersion = new ModelVersionParameter(this, 'ModelVersion', { registry });
    const inferenceImage = SageMakerImage.pytorchInference(PYTORCH_TAG);
    this.endpoint = new ModelEndpoint(this, 'Endpoint', {
      endpointName: 'churn-pytorch',
      model: modelVersion.modelSource({
        // The pipeline's artifacts: <artifacts bucket>/<pipelineName>/runs/...
        modelDataLocation: InferenceDataLocation.fromDataLake(lake, `${PIPELINE_NAME}/runs/`, DataZone.ARTIFACTS),
        image: inferenceImage,
      }),
      variants: [{
        instanceType: MlInstanceType.ML_G5_XLARGE,
        initialInstanceCount: 1,
        autoScaling: { minCapacity: 1, maxCapacity: 4, metric: AutoScalingMetric.invocationsPerInstance(500) },
      }],
      dataCapture: { location: InferenceDataLocation.fromDataLake(lake, 'churn-pytorch-endpoint/'), samplingPercentage: 10 },
    });
    modelVersion.serveOnlyWhenPromoted(this.endpoint);

    this.pipeline = new TrainingPipeline(this, 'Pipeline', {
      dataLake: lake,
      registry,
      pipelineName: PIPELINE_NAME,
      inputPrefix: 'churn/',
      triggerKeySuffix: '_SUCCESS',
      preprocessing: { script: path.join(SCRIPTS, 'preprocess.py') },
      training: {
        image: SageMakerImage.pytorchTraining(PYTORCH_TAG),
        instanceType: MlInstanceType.ML_G5_12XLARGE,
        instanceCount: 2,
        sourceDirectory: SOURCE_DIRECTORY,
        script: 'train.py',
        // torchrun --nnodes 2 --nproc_per_node 4 (one process per GPU, as the toolkit counts them).
        distributed: DistributedTraining.torchrun(),
        hyperparameters: { epochs: '30', batch_size: '128', learning_rate: '0.005', hidden_units: '64', seed: '42' },
        // train.py prints these on rank 0; SageMaker reads them from the logs.
        metricDefinitions: [
          { name: 'validation:auc', regex: 'validation:auc=([0-9\\.]+)' },
          { name: 'validation:accuracy', regex: 'validation:accuracy=([0-9\\.]+)' },
          { name: 'train:loss', regex: 'train:loss=([0-9\\.]+)' },
        ],
        // Spot with checkpoints: train.py resumes from /opt/ml/checkpoints after an interruption.
        useSpotInstances: true,
        maxRuntime: Duration.hours(4),
      },
      // The training image only trains: the registered package names the inference image.
      inferenceImage,
      gate: { metricName: 'validation:auc', threshold: 0.8, source: MetricSource.TRAINING_JOB },
      baseline: {
        schema: FeatureSchema.of(FEATURES.map((name) => ({ name, featureType: FeatureType.NUMERIC })),
          { label: 'label', layout: TrainingDataLayout.LABEL_FIRST_NO_HEADER }),
      },
      // A person approves a version in the registry; approval deploys it.
      deployment: { modelVersion, mode: PromotionMode.MANUAL },
    });
  }
}
