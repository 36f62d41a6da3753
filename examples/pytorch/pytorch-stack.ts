import * as path from 'path';
import { Duration, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import {
  AutoScalingMetric, DistributedTraining, FeatureSchema, FeatureType, MetricSource, MlInstanceType, MlPipeline, PromotionMode,
  SageMakerImage, TrainingDataLayout,
} from '../../lib';

const SCRIPTS = path.join(__dirname, '..', 'training', 'scripts');
/** The PyTorch source directory: train.py, the churn package, requirements.txt. */
export const SOURCE_DIRECTORY = path.join(SCRIPTS, 'pytorch');
/** The PyTorch Deep Learning Containers of one framework version: training and inference must match. */
export const PYTORCH_TAG = '2.5.1-gpu-py311-cu124-ubuntu22.04-sagemaker';
const FEATURES = ['tenure_months', 'monthly_charges', 'support_calls', 'usage_gb', 'contract_years', 'age'];

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
 * promotion there is no endpoint. An `MlPipeline` wires the registry, the served version, the
 * endpoint, the pipeline and a drift monitor of the endpoint.
 */
export class PyTorchStack extends Stack {
  /** The model's loop: lake, registry, served version, endpoint, training pipeline, drift monitor, dashboard. */
  public readonly ml: MlPipeline;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, {
      description: 'cdk-mlops example: PyTorch script mode with torchrun on multi-GPU instances, served on a GPU endpoint',
      ...props,
    });
    this.ml = new MlPipeline(this, 'Churn', {
      modelName: 'churn-pytorch',
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
        // On spot (MlPipeline's default) with checkpoints: train.py resumes from /opt/ml/checkpoints after an interruption.
        maxRuntime: Duration.hours(4),
      },
      pipeline: {
        inputPrefix: 'churn/',
        triggerKeySuffix: '_SUCCESS',
        preprocessing: { script: path.join(SCRIPTS, 'preprocess.py') },
        // The training image only trains: the registered package, and so the endpoint, name the inference image.
        inferenceImage: SageMakerImage.pytorchInference(PYTORCH_TAG),
        gate: { metricName: 'validation:auc', threshold: 0.8, source: MetricSource.TRAINING_JOB },
        baseline: {
          schema: FeatureSchema.of(FEATURES.map((name) => ({ name, featureType: FeatureType.NUMERIC })),
            { label: 'label', layout: TrainingDataLayout.LABEL_FIRST_NO_HEADER }),
        },
      },
      // A person approves a version in the registry; approval deploys it.
      promotion: { mode: PromotionMode.MANUAL },
      endpoint: {
        variants: [{
          instanceType: MlInstanceType.ML_G5_XLARGE,
          initialInstanceCount: 1,
          autoScaling: { minCapacity: 1, maxCapacity: 4, metric: AutoScalingMetric.invocationsPerInstance(500) },
        }],
      },
    });
  }
}
