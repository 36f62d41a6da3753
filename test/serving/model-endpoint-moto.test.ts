/**
 * Proof that a synthesized ModelEndpoint stack really deploys: the real CDK CLI (`cdk bootstrap` and
 * `cdk deploy`) against a local moto server, then moto's own SageMaker, IAM and CloudFormation APIs.
 *
 * What moto 5.2.1 does with this stack (read in moto/sagemaker/models.py and moto/cloudformation/parsing.py):
 * - AWS::SageMaker::Model, ::EndpointConfig and ::Endpoint are created, but each under a generated name
 *   `<stack>-<logicalId>-<random>`: moto ignores EndpointName (and knows no name property for the
 *   other two), so the names are read from the physical ids (ARNs) that ListStackResources reports;
 * - CreateEndpointConfig accepts only an older list of instance types (g4dn yes; g5, g6, p4d, p5 no);
 * - the endpoint is InService at once and DeploymentConfig (blue/green, rollback alarms) is ignored;
 * - AWS::ApplicationAutoScaling::*, AWS::CloudWatch::Alarm, AWS::S3::BucketPolicy and AWS::CDK::Metadata
 *   are skipped silently, so autoscaling and rollback alarms are asserted in the deployed template.
 */
import { DeployedStack, deployToMoto, describeDeployedStack, MOTO_ACCOUNT, MOTO_REGION, motoResult, MotoServer, queryMoto, StackResource, startMoto } from '../helpers/moto';

const TIMEOUT = 240_000;
const STACK = 'MotoModelEndpoint';
const PREFIX = 'moto-endpoint-test';
const ENDPOINT_NAME = 'churn-endpoint';
const APP = 'node -r ./test/helpers/swc-register.js test/fixtures/moto-endpoint-app.ts';
const ARTIFACTS_BUCKET = `${PREFIX}-artifacts`;
const CAPTURE_BUCKET = `${PREFIX}-capture`;
/** Resource types of this stack that moto's CloudFormation does not model: it skips them and says nothing. */
const SKIPPED_BY_MOTO = [
  'AWS::ApplicationAutoScaling::ScalableTarget', 'AWS::ApplicationAutoScaling::ScalingPolicy',
  'AWS::CDK::Metadata', 'AWS::CloudWatch::Alarm', 'AWS::S3::BucketPolicy',
];

let moto: MotoServer | undefined;
let stackStatus: string;
let resources: StackResource[];
let template: DeployedStack['template'];
let skippedTypes: string[];
let model: any;
let endpointConfig: any;
let endpoint: any;
let role: any;
let rolePolicy: { Statement: Array<{ Action: string | string[]; Resource: string | string[] }> };
let lakeKeyArn: string;
let deployMs: number;

/** The one resource of `type` that moto created. */
function created(type: string): StackResource {
  const found = resources.filter((r) => r.ResourceType === type);
  if (found.length !== 1) throw new Error(`expected one ${type} in the stack, moto reports ${found.length}: ${JSON.stringify(resources)}`);
  return found[0];
}

/** The SageMaker name in a SageMaker physical id: moto reports ARNs (`arn:...:endpoint/<name>`). */
function sageMakerName(resource: StackResource): string {
  return resource.PhysicalResourceId.split('/').pop()!;
}

/** The template resources of `type`. */
function inTemplate(type: string): Array<{ id: string; Properties?: any; DependsOn?: string[] }> {
  return Object.entries(template.Resources).filter(([, r]) => r.Type === type).map(([id, r]) => ({ id, ...r }));
}

beforeAll(async () => {
  moto = await startMoto();
  const deployed = await deployToMoto(moto, APP, STACK, {
    env: { MOTO_STACK_NAME: STACK, MOTO_BUCKET_PREFIX: PREFIX, MOTO_ENDPOINT_NAME: ENDPOINT_NAME },
  });
  deployMs = deployed.deploy.durationMs;
  ({ status: stackStatus, resources, template, skippedTypes } = await describeDeployedStack(moto, STACK));
  lakeKeyArn = `arn:aws:kms:${MOTO_REGION}:${MOTO_ACCOUNT}:key/${created('AWS::KMS::Key').PhysicalResourceId}`;

  const [m, c, e, r] = await queryMoto(moto, [
    { service: 'sagemaker', operation: 'DescribeModel', params: { ModelName: sageMakerName(created('AWS::SageMaker::Model')) } },
    { service: 'sagemaker', operation: 'DescribeEndpointConfig', params: { EndpointConfigName: sageMakerName(created('AWS::SageMaker::EndpointConfig')) } },
    { service: 'sagemaker', operation: 'DescribeEndpoint', params: { EndpointName: sageMakerName(created('AWS::SageMaker::Endpoint')) } },
    { service: 'iam', operation: 'GetRole', params: { RoleName: created('AWS::IAM::Role').PhysicalResourceId } },
  ]);
  model = motoResult(m, 'DescribeModel');
  endpointConfig = motoResult(c, 'DescribeEndpointConfig');
  endpoint = motoResult(e, 'DescribeEndpoint');
  role = motoResult(r, 'GetRole').Role;
  const [policyName] = inTemplate('AWS::IAM::Policy').map((p) => p.Properties.PolicyName);
  const [inline] = await queryMoto(moto, [
    { service: 'iam', operation: 'GetRolePolicy', params: { RoleName: role.RoleName, PolicyName: policyName } },
  ]);
  const document = motoResult(inline, 'GetRolePolicy').PolicyDocument;
  rolePolicy = typeof document === 'string' ? JSON.parse(document) : document;
}, TIMEOUT);

afterAll(async () => {
  await moto?.stop();
}, 30_000);

describe('ModelEndpoint deployed with the CDK CLI to moto', () => {
  test('the stack is CREATE_COMPLETE', () => {
    expect(stackStatus).toBe('CREATE_COMPLETE');
    // The deploy itself (bootstrap excluded) is quick; a slow one means something retried.
    expect(deployMs).toBeLessThan(120_000);
  }, TIMEOUT);

  test('moto created the lake, the role and the three SageMaker resources; it skipped only the types it does not model', () => {
    expect(resources.every((r) => r.ResourceStatus === 'CREATE_COMPLETE')).toBe(true);
    expect(resources.map((r) => r.ResourceType).sort()).toEqual([
      'AWS::IAM::Policy', 'AWS::IAM::Role', 'AWS::KMS::Key',
      ...Array(5).fill('AWS::S3::Bucket'),
      'AWS::SageMaker::Endpoint', 'AWS::SageMaker::EndpointConfig', 'AWS::SageMaker::Model',
    ]);
    // A new type here means moto silently left it out: check it another way and add it to the list.
    expect(skippedTypes.filter((type) => !SKIPPED_BY_MOTO.includes(type))).toEqual([]);
  }, TIMEOUT);

  test('the model serves the XGBoost image with the artifact from the artifacts bucket, as the execution role', () => {
    expect(model.PrimaryContainer).toEqual({
      Image: '683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1',
      ModelDataUrl: `s3://${ARTIFACTS_BUCKET}/models/churn/model.tar.gz`,
    });
    expect(model.ExecutionRoleArn).toBe(role.Arn);
    expect(role.Arn).toMatch(new RegExp(`^arn:aws:iam::${MOTO_ACCOUNT}:role/`));
  }, TIMEOUT);

  test('the execution role may read the artifact and write the capture prefix with the lake key', () => {
    const allowed = (action: string) => rolePolicy.Statement
      .filter((st) => ([] as string[]).concat(st.Action).includes(action))
      .flatMap((st) => ([] as string[]).concat(st.Resource));
    expect(allowed('s3:GetObject')).toEqual([`arn:aws:s3:::${ARTIFACTS_BUCKET}/models/churn/model.tar.gz`]);
    expect(allowed('s3:PutObject')).toEqual([`arn:aws:s3:::${CAPTURE_BUCKET}/churn-endpoint/*`]);
    expect(allowed('kms:GenerateDataKey')).toEqual([lakeKeyArn]);
    expect(allowed('kms:Decrypt')).toEqual([lakeKeyArn]);
  }, TIMEOUT);

  test('the endpoint config has one ml.g4dn.xlarge variant serving that model', () => {
    expect(endpointConfig.ProductionVariants).toEqual([expect.objectContaining({
      VariantName: 'AllTraffic',
      ModelName: model.ModelName,
      InstanceType: 'ml.g4dn.xlarge',
      InitialInstanceCount: 1,
      InitialVariantWeight: 1,
    })]);
    // g4dn has NVMe instance storage, which SageMaker encrypts itself and for which it rejects a KmsKeyId.
    expect(endpointConfig.KmsKeyId).toBeUndefined();
  }, TIMEOUT);

  test('the endpoint config captures 50% of requests and responses into the capture zone, encrypted with the lake key', () => {
    expect(endpointConfig.DataCaptureConfig).toEqual({
      EnableCapture: true,
      InitialSamplingPercentage: 50,
      DestinationS3Uri: `s3://${CAPTURE_BUCKET}/churn-endpoint/`,
      KmsKeyId: lakeKeyArn,
      CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
      CaptureContentTypeHeader: { JsonContentTypes: ['application/json'], CsvContentTypes: ['text/csv'] },
    });
  }, TIMEOUT);

  test('the endpoint is InService on that endpoint config', () => {
    expect(endpoint.EndpointStatus).toBe('InService');
    expect(endpoint.EndpointConfigName).toBe(endpointConfig.EndpointConfigName);
    expect(endpoint.EndpointArn).toBe(created('AWS::SageMaker::Endpoint').PhysicalResourceId);
    expect(endpoint.ProductionVariants).toEqual([expect.objectContaining({ VariantName: 'AllTraffic', CurrentInstanceCount: 1 })]);
    // DescribeEndpoint answers a DataCaptureConfigSummary: botocore keeps only its fields.
    expect(endpoint.DataCaptureConfig).toEqual({
      EnableCapture: true,
      DestinationS3Uri: `s3://${CAPTURE_BUCKET}/churn-endpoint/`,
      KmsKeyId: lakeKeyArn,
    });
  }, TIMEOUT);

  test('the template names the endpoint; moto ignores the name and generates <stack>-<logicalId>-<random>', () => {
    const [declared] = inTemplate('AWS::SageMaker::Endpoint');
    expect(declared.Properties.EndpointName).toBe(ENDPOINT_NAME);
    expect(endpoint.EndpointName).toMatch(new RegExp(`^${STACK}-${declared.id}-`));
  }, TIMEOUT);

  test('autoscaling (min 1, max 3, after the endpoint) is in the deployed template; moto skips it', () => {
    const [target] = inTemplate('AWS::ApplicationAutoScaling::ScalableTarget');
    expect(target.Properties).toEqual(expect.objectContaining({
      ServiceNamespace: 'sagemaker',
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      ResourceId: `endpoint/${ENDPOINT_NAME}/variant/AllTraffic`,
      MinCapacity: 1,
      MaxCapacity: 3,
    }));
    const [declared] = inTemplate('AWS::SageMaker::Endpoint');
    expect(target.DependsOn).toContain(declared.id);
    const [policy] = inTemplate('AWS::ApplicationAutoScaling::ScalingPolicy');
    expect(policy.Properties.PolicyType).toBe('TargetTrackingScaling');
    expect(policy.Properties.ScalingTargetId).toEqual({ Ref: target.id });
    expect(resources.some((r) => r.ResourceType.startsWith('AWS::ApplicationAutoScaling::'))).toBe(false);
  }, TIMEOUT);
});
