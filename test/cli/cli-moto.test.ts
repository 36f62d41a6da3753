/**
 * The bundled `mlops` (assets/cli/mlops.js) against the local moto server, for the APIs moto has:
 * Step Functions (executing the definition), CloudFormation, SageMaker's registry and CloudWatch.
 */
import { spawn } from 'child_process';
import * as http from 'http';
import * as path from 'path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient, PutMetricAlarmCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CreateStateMachineCommand, SFNClient } from '@aws-sdk/client-sfn';
import { CreateModelPackageCommand, CreateModelPackageGroupCommand, DescribeModelPackageCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ROOT } from '../helpers/app';
import { MOTO_REGION, motoEnv, MotoServer, startMoto } from '../helpers/moto';

const CLI = path.join(ROOT, 'assets', 'cli', 'mlops.js');
const STACK = 'CliMotoStack';
let moto: MotoServer | undefined;

const config = () => ({ endpoint: moto!.endpoint, region: MOTO_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });

/** The CLI as a user runs it, with moto as every service's endpoint; killed after 60 s. */
function mlops(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: motoEnv(moto!), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => { stdout += c; });
    child.stderr.on('data', (c: Buffer) => { stderr += c; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

function post(url: string, body: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method: 'POST', headers: { 'content-type': 'application/json' } }, (response) => { response.resume(); response.on('end', resolve); });
    request.once('error', reject);
    request.end(JSON.stringify(body));
  });
}

const DEFINITION = {
  StartAt: 'PlanRun',
  States: {
    PlanRun: { Type: 'Pass', ResultPath: '$.plan', Result: { modelUri: 's3://artifacts-moto/churn/runs/run-1/model/', manifestKey: 'churn/runs/run-1/manifest.json' }, Next: 'Train' },
    Train: { Type: 'Pass', Next: 'Done' },
    Done: { Type: 'Succeed' },
  },
};

beforeAll(async () => {
  moto = await startMoto();
  // moto runs the definition (Pass states) instead of answering with a canned history.
  await post(`${moto.endpoint}/moto-api/config`, { stepfunctions: { execute_state_machine: true } });
  // Created through Step Functions: moto's executing backend does not see machines its CloudFormation makes.
  const { stateMachineArn } = await new SFNClient(config()).send(new CreateStateMachineCommand({
    name: 'churn-pipeline', definition: JSON.stringify(DEFINITION), roleArn: 'arn:aws:iam::123456789012:role/pipeline',
  }));
  // A stack that names it in its StateMachineArn output, as the reference stack does.
  await new CloudFormationClient(config()).send(new CreateStackCommand({
    StackName: STACK,
    TemplateBody: JSON.stringify({
      Resources: { Handle: { Type: 'AWS::CloudFormation::WaitConditionHandle' } },
      Outputs: { StateMachineArn: { Value: stateMachineArn } },
    }),
  }));
}, 120_000);

afterAll(async () => {
  await moto?.stop();
}, 30_000);

test('run resolves the stack, runs the pipeline to its end and prints the manifest\'s location', async () => {
  const run = await mlops('run', STACK, '--name', 'run-1', '--interval', '1', '--json');
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const result = JSON.parse(run.stdout);
  expect(result).toMatchObject({ name: 'run-1', status: 'SUCCEEDED', detached: false, manifestUri: 's3://artifacts-moto/churn/runs/run-1/manifest.json' });
  expect(result.executionArn).toMatch(/:execution:churn-pipeline:run-1$/);
  expect(result.steps.map((s: any) => [s.name, s.status])).toEqual([['PlanRun', 'SUCCEEDED'], ['Train', 'SUCCEEDED'], ['Done', 'SUCCEEDED']]);

  const runs = await mlops('runs', '--pipeline', STACK);
  expect(runs.code).toBe(0);
  expect(runs.stdout).toMatch(/^run\s+pipeline\s+status\s+started\s+duration\nrun-1\s+churn-pipeline\s+SUCCEEDED\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+\d+s\n$/);

  const status = await mlops('status', 'run-1', '--pipeline', 'churn-pipeline');
  expect(status.code).toBe(0);
  expect(status.stdout).toMatch(/^run-1 {2}SUCCEEDED {2}\d+s {2}started /);
  expect(status.stdout).toContain('run manifest: s3://artifacts-moto/churn/runs/run-1/manifest.json');
}, 120_000);

test('an unknown stack: what went wrong and what to pass', async () => {
  const run = await mlops('run', 'NoSuchStack');
  expect(run.code).toBe(1);
  expect(run.stderr).toBe("mlops: no stack and no state machine named 'NoSuchStack' in this region: pass a stack name, a state machine name or ARN, and check --region.\n");
}, 60_000);

test('approve sets the approval status in SageMaker\'s registry', async () => {
  const sagemaker = new SageMakerClient(config());
  await sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'churn-models' }));
  const created = await sagemaker.send(new CreateModelPackageCommand({
    ModelPackageGroupName: 'churn-models', ModelApprovalStatus: 'PendingManualApproval',
    InferenceSpecification: { Containers: [{ Image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/churn:1' }], SupportedContentTypes: ['text/csv'], SupportedResponseMIMETypes: ['text/csv'] },
  }));
  const approve = await mlops('approve', 'churn-models/1', '--yes', '--json');
  expect(approve.stderr).toBe('');
  expect(JSON.parse(approve.stdout)).toEqual({ modelPackageArn: created.ModelPackageArn, approvalStatus: 'Approved', previousStatus: 'PendingManualApproval', changed: true });
  expect((await sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: created.ModelPackageArn }))).ModelApprovalStatus).toBe('Approved');
}, 60_000);

test('drift reads the latest metric and the alarm\'s threshold from CloudWatch', async () => {
  const cloudwatch = new CloudWatchClient(config());
  const Dimensions = [{ Name: 'Endpoint', Value: 'churn' }, { Name: 'Variant', Value: 'AllTraffic' }, { Name: 'Feature', Value: 'tenure' }];
  await cloudwatch.send(new PutMetricDataCommand({ Namespace: 'CdkMlops/Drift', MetricData: [{ MetricName: 'PSI', Dimensions, Value: 0.31, Timestamp: new Date(Date.now() - 600_000) }] }));
  const alarm = (AlarmName: string, MetricName: string, dimensions: typeof Dimensions, Threshold: number) => cloudwatch.send(new PutMetricAlarmCommand({
    AlarmName, Namespace: 'CdkMlops/Drift', MetricName, Dimensions: dimensions, Statistic: 'Maximum',
    Period: 3600, EvaluationPeriods: 1, Threshold, ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  }));
  // monitor churn-drift's alarms, as a DriftMonitor names them, and someone else's on the same metric
  await alarm('churn-drift-dataset-drift', 'DriftedFeatureShare', Dimensions.slice(0, 2), 0.5);
  await alarm('churn-drift-feature-tenure-PSI-critical', 'PSI', Dimensions, 0.25);
  await alarm('team-b-tenure-psi', 'PSI', Dimensions, 0.4);
  const drift = await mlops('drift', 'churn', '--json');
  expect(drift.stderr).toBe('');
  expect(JSON.parse(drift.stdout)).toEqual([expect.objectContaining({
    namespace: 'CdkMlops/Drift', variant: 'AllTraffic', feature: 'tenure', metric: 'PSI', value: 0.31, critical: 0.25, comparison: '>=', level: 'critical',
    alarms: ['critical OK'],
  })]);
}, 60_000);
