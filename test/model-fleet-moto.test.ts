/**
 * A one-model fleet (bench/fixtures/scale-app.ts, without the registry and dashboard moto cannot make) deployed with the real CDK CLI to a local moto
 * server: the shared stack first (the model stack depends on it), the model stack importing the
 * lake's and the topic key's exports, and then what a promotion does, UpdateStack of the model's
 * own top-level stack on its previous template with a new served version, which creates the
 * endpoint there while the shared stack stays as it was.
 *
 * moto 5.2.1 skips the resource types it does not model (DESIGN.md), and its UpdateStack completes
 * at once; the promotion's state machine itself runs against moto in model-promotion-moto.test.ts.
 */
import { deployToMoto, describeDeployedStack, motoCall, MotoServer, startMoto } from './helpers/moto';

const TIMEOUT = 300_000;
const APP = 'node -r ./test/helpers/swc-register.js bench/fixtures/scale-app.ts';
const SHARED = 'Scale-Shared';
const MODEL = 'Scale-Model0';
const V1 = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/model0/1';

let moto: MotoServer | undefined;

beforeAll(async () => {
  moto = await startMoto();
  // The hierarchical id selects the model's stack; the CLI deploys the shared stack it depends on first.
  await deployToMoto(moto, APP, 'Scale/Model0', {
    // Without what moto cannot deploy: the registry (imported by name) and the model's own dashboard.
    env: { BENCH_MODELS: '1', SCALE_FOR_MOTO: '1' },
    timeoutMs: TIMEOUT,
    // moto keeps only parameters passed explicitly, so UsePreviousValue on a defaulted one fails there.
    extraArgs: ['--parameters', 'BootstrapVersion=/cdk-bootstrap/hnb659fds/version'],
  });
}, TIMEOUT);

afterAll(async () => {
  await moto?.stop();
}, 30_000);

describe('a ModelFleet deployed to moto', () => {
  test('the shared stack and the model stack are both created, as two top-level stacks', async () => {
    const stacks = await motoCall(moto!, 'cloudformation', 'DescribeStacks', {});
    const byName = new Map(stacks.Stacks.map((s: any) => [s.StackName, s]));
    expect((byName.get(SHARED) as any)?.StackStatus).toBe('CREATE_COMPLETE');
    expect((byName.get(MODEL) as any)?.StackStatus).toBe('CREATE_COMPLETE');
    expect((byName.get(MODEL) as any)?.ParentId).toBeUndefined();
  }, TIMEOUT);

  test('the shared stack exports the lake and the topic key, and the model stack was created from the imported values', async () => {
    const exports = await motoCall(moto!, 'cloudformation', 'ListExports', {});
    const names: string[] = exports.Exports.map((e: any) => e.Name).filter((n: string) => n.startsWith(`${SHARED}:`));
    expect(names).toHaveLength(6);
    const rawBucket = exports.Exports.find((e: any) => e.Name.includes('DataLakeRawBucket')).Value;
    const buckets = await motoCall(moto!, 's3', 'ListBuckets', {});
    expect(buckets.Buckets.map((b: any) => b.Name)).toContain(rawBucket);
    const model = await describeDeployedStack(moto!, MODEL);
    expect(model.resources.some((r) => r.ResourceType === 'AWS::StepFunctions::StateMachine')).toBe(true);
  }, TIMEOUT);

  test("a promotion's UpdateStack of the model's own stack serves the version: the endpoint is created there", async () => {
    const before = await describeDeployedStack(moto!, MODEL);
    expect(before.resources.some((r) => r.ResourceType === 'AWS::SageMaker::Endpoint')).toBe(false);
    const shared = await describeDeployedStack(moto!, SHARED);
    await motoCall(moto!, 'cloudformation', 'UpdateStack', {
      StackName: MODEL,
      UsePreviousTemplate: true,
      Capabilities: ['CAPABILITY_IAM', 'CAPABILITY_NAMED_IAM'],
      Parameters: [
        { ParameterKey: 'ModelVersionModel0', ParameterValue: V1 },
        { ParameterKey: 'BootstrapVersion', UsePreviousValue: true },
      ],
    });
    const after = await describeDeployedStack(moto!, MODEL);
    expect(after.status).toBe('UPDATE_COMPLETE');
    expect(after.resources.some((r) => r.ResourceType === 'AWS::SageMaker::Endpoint')).toBe(true);
    // The shared stack is untouched by a model's promotion.
    expect(await describeDeployedStack(moto!, SHARED)).toEqual(shared);
  }, TIMEOUT);
});
