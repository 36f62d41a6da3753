/**
 * examples/pytorch: what the synthesized pipeline asks SageMaker for: torchrun over two 4-GPU
 * instances running the local source directory, the PyTorch inference image in the registered
 * package, and a GPU endpoint that exists only once a version is approved. (The source directory
 * itself trains for real under torchrun in test/example-scripts.test.ts.)
 */
import { Template } from 'aws-cdk-lib/assertions';
import { testApp } from '../helpers/app';
import { allStates } from '../helpers/asl';
import { pipelineDefinition } from '../helpers/pipeline';
import { PYTORCH_TAG, PyTorchStack, SOURCE_DIRECTORY } from '../../examples/pytorch/pytorch-stack';
import { packSourceDirectory } from '../../lib/training/tasks/private/source-archive';

const stack = new PyTorchStack(testApp(), 'PyTorchExample');
const template = Template.fromStack(stack);
const states = Object.fromEntries(allStates(pipelineDefinition(template, 'ChurnPipelineStateMachine')));
const training = Object.values<any>(states).find((s) => String(s.Resource).includes('createTrainingJob'))!.Parameters;

describe('the PyTorch example', () => {
  test('trains with torchrun on two ml.g5.12xlarge instances (4 GPUs each) on managed spot with checkpoints', () => {
    expect(training.ResourceConfig).toMatchObject({ InstanceType: 'ml.g5.12xlarge', InstanceCount: 2 });
    expect(training.AlgorithmSpecification.TrainingImage).toMatch(new RegExp(`/pytorch-training:${PYTORCH_TAG}$`));
    expect(training.HyperParameters).toMatchObject({
      sagemaker_program: 'train.py',
      // What the SageMaker Python SDK's estimator sets for distribution={'torch_distributed': {'enabled': True}}.
      sagemaker_torch_distributed_enabled: 'true',
      sagemaker_instance_type: 'ml.g5.12xlarge',
      epochs: '30',
    });
    // One process per GPU, as the toolkit counts them: no per-host override.
    expect(training.HyperParameters.sagemaker_mpi_num_of_processes_per_host).toBeUndefined();
    expect(training.EnableManagedSpotTraining).toBe(true);
    expect(training.CheckpointConfig.LocalPath).toBe('/opt/ml/checkpoints');
  });

  test('ships the source directory as a code channel that the toolkit unpacks from its local path', () => {
    const code = training.InputDataConfig.find((c: any) => c.ChannelName === 'code');
    const object = String(code.DataSource.S3DataSource.S3Uri).split('/').pop();
    expect(training.HyperParameters.sagemaker_submit_directory).toBe(`/opt/ml/input/data/code/${object}`);
    // The whole directory: the entry point, the package it imports, the inference handlers.
    expect(packSourceDirectory(SOURCE_DIRECTORY).files).toEqual(expect.arrayContaining(['train.py', 'inference.py', 'churn/model.py', 'churn/data.py']));
  });

  test('registers models with the PyTorch inference image of the same version, pending approval', () => {
    const register = Object.values<any>(states).find((s) => String(s.Resource).includes('createModelPackage'))!.Parameters;
    expect(register.InferenceSpecification.Containers[0].Image).toMatch(new RegExp(`/pytorch-inference:${PYTORCH_TAG}$`));
    expect(register.ModelApprovalStatus).toBe('PendingManualApproval');
  });

  test('serves on a GPU endpoint that exists only once a version is approved', () => {
    const configs = template.findResources('AWS::SageMaker::EndpointConfig');
    expect(Object.values(configs)).toEqual([expect.objectContaining({
      Condition: expect.stringMatching(/HasModel/),
      Properties: expect.objectContaining({ ProductionVariants: [expect.objectContaining({ InstanceType: 'ml.g5.xlarge' })] }),
    })]);
    // Approving a version in the registry starts the promotion.
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { 'detail-type': ['SageMaker Model Package State Change'], 'detail': { ModelPackageGroupName: ['churn-pytorch'], ModelApprovalStatus: ['Approved'] } },
    });
  });
});
