/**
 * The reference stack is one MlPipeline, and moving it there changed nothing a deployed stack
 * or the CLI relies on: every resource keeps its logical id (CloudFormation would replace a
 * renamed one, and named ones cannot be replaced), the outputs keep their names, and the
 * served-version parameter keeps its name.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { MlopsReferenceStack } from '../../bin/reference-stack';
import { testApp } from '../helpers/app';
import { MlPipeline, PromotionMode } from '../../lib';
// The resources of the hand-wired reference stack before it was built on MlPipeline, but the drift monitor's own topic.
import BEFORE from './logical-ids.json';

const stack = new MlopsReferenceStack(testApp(), 'MlopsReference', { env: { account: '123456789012', region: 'us-east-1' } });
const template = Template.fromStack(stack).toJSON();

describe('the reference stack on MlPipeline', () => {
  test('is one MlPipeline in AUTOMATIC mode, whose parts the stack exposes', () => {
    expect(stack.ml).toBeInstanceOf(MlPipeline);
    expect(stack.ml.promotionMode).toBe(PromotionMode.AUTOMATIC);
    expect([stack.pipeline, stack.endpoint, stack.monitor, stack.dashboard, stack.registry, stack.dataLake])
      .toEqual([stack.ml.pipeline, stack.ml.endpoint, stack.ml.monitor, stack.ml.dashboard, stack.ml.registry, stack.ml.dataLake]);
  });

  test('keeps the logical id of every resource it had; the new ones are the rollback promotion\'s', () => {
    const now = Object.keys(template.Resources);
    expect(BEFORE.filter((id: string) => !now.includes(id))).toEqual([]);
    expect(now.filter((id) => !BEFORE.includes(id)).sort()).toEqual([
      expect.stringMatching(/^PipelinePromotionLogs/),
      expect.stringMatching(/^PipelinePromotionStateMachine[0-9A-F]{8}$/),
      expect.stringMatching(/^PipelinePromotionStateMachineRole[0-9A-F]{8}$/),
      expect.stringMatching(/^PipelinePromotionStateMachineRoleDefaultPolicy/),
    ]);
  });

  test('keeps the names of its outputs and of the served-version parameter, and adds the promotion\'s', () => {
    expect(Object.keys(template.Outputs).sort()).toEqual([
      'DashboardName', 'DriftAlarmTopicArn', 'EndpointName', 'FailureTopicArn', 'ModelPackageGroupName', 'PromotionStateMachineArn', 'RawBucketName', 'StateMachineArn',
    ]);
    expect(Object.keys(template.Parameters)).toContain('ModelVersionChurn');
    expect(template.Outputs.PromotionStateMachineArn.Value).toEqual({ Ref: stack.resolve((stack.ml.promotion!.stateMachine.node.defaultChild as any).logicalId) });
  });

  test('one topic: the failure and drift-alarm outputs name the same one', () => {
    expect(template.Outputs.DriftAlarmTopicArn.Value).toEqual(template.Outputs.FailureTopicArn.Value);
    expect(Object.values<any>(template.Resources).filter((r) => r.Type === 'AWS::SNS::Topic')).toHaveLength(1);
  });
});
