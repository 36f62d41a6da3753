/**
 * `npm run local` as a test: the reference app deployed to a moto server on a free port with the CDK
 * CLI, the deployed pipeline run in the ASL interpreter with the example scripts as its jobs, the
 * promotion and the drift check on moto; then nothing left running and no work folder left behind.
 * One run (~40 s here) serves every assertion.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { adaptTemplate, Template } from '../local/deploy';
import { completedJob, containerPathFlags, finalMetrics } from '../local/jobs';
import { LocalRunResult, logTiming, runLocal, SHIFTED_FEATURE, transform } from '../local/local-run';
import { requireMoto } from '../local/python';

const TIMEOUT = 420_000;
const lines: string[] = [];
let result: LocalRunResult;

beforeAll(async () => {
  result = await runLocal({ log: (line) => lines.push(line), pipelineTimeoutMs: 300_000 });
}, TIMEOUT);

const tasks = () => result.pipeline.steps.filter((s) => s.type === 'Task');

describe('npm run local', () => {
  test('runs the deployed pipeline to ModelRegistered, every step succeeding, in the definition\'s order', () => {
    expect([result.pipeline.status, result.pipeline.error]).toEqual(['SUCCEEDED', undefined]);
    expect(result.pipeline.steps.filter((s) => s.status !== 'SUCCEEDED')).toEqual([]);
    expect(result.pipeline.steps.at(-1)!.name).toBe('ModelRegistered');
    const order = tasks().map((s) => s.name);
    // The steps a user waits on, in the order the pipeline must take them.
    const milestones = ['ClaimRun', 'AcquireRunSlot', 'Preprocess', 'ComputeBaseline', 'Train', 'RegisterModel', 'PromoteModelVersionRequest',
      'CheckRollout', 'DescribeServingEndpoint', 'PromoteBaseline', 'WriteRunManifest', 'ReleaseRunSlot'];
    expect(order.filter((name) => milestones.includes(name))).toEqual(milestones);
    // Each printed as it ran, with its status and duration.
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}Train +Task +SUCCEEDED +\d+\.\d s$/));
  });

  test('started from the deployed EventBridge rule\'s input for the _SUCCESS marker, with its S3 version', () => {
    const input = lines.find((l) => l.startsWith('input ('))!;
    expect(JSON.parse(input.slice(input.indexOf('{')))).toEqual({
      trigger: 'new-data', bucket: expect.stringMatching(/rawbucket/), key: 'churn/_SUCCESS', versionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
    });
  });

  test('the gate reads the validation AUC train.py printed, not moto\'s placeholder metric', () => {
    const auc = result.trainingMetrics.find((m) => m.MetricName === 'validation:auc')!.Value;
    expect(auc).toBeGreaterThanOrEqual(0.8);
    expect(result.trainingMetrics.map((m) => m.MetricName)).not.toContain('train:progress');
    expect(result.pipeline.output.gate).toEqual({ metric: 'validation:auc', threshold: 0.8, comparison: 'GREATER_THAN_OR_EQUAL', passed: true, value: auc });
    expect(lines).toContainEqual(expect.stringContaining('examples/training/scripts/train.py (scikit-learn gradient boosting'));
  });

  test('registers an approved model package whose artifact is the trained job\'s model.tar.gz', () => {
    expect(result.modelPackage).toEqual({
      arn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/1',
      status: 'Completed',
      approval: 'Approved',
      modelDataUrl: expect.stringMatching(/^s3:\/\/mlopsreference-datalakeartifactsbucket[^/]+\/churn\/runs\/local-[^/]+\/model\/churn-train-[0-9a-f]{32}\/output\/model\.tar\.gz$/),
    });
  });

  test('the promotion\'s UpdateStack made the endpoint on moto, InService on the stack\'s configuration', () => {
    expect(result.endpoint).toEqual({
      name: expect.stringMatching(/^MlopsReference-Endpoint/), templateName: 'churn', status: 'InService', config: expect.stringMatching(/^MlopsReference-EndpointEndpointConfig/),
    });
  });

  test('lists the alarms from the template (moto creates none) and says so', () => {
    expect(result.alarms.map((a) => a.name)).toEqual(expect.arrayContaining([
      'churn-monitor-feature-monthly_charges-PSI-critical', 'churn-monitor-dataset-drift', 'churn-monitor-model-drifted',
    ]));
    expect(result.alarms.find((a) => a.name === 'churn-monitor-feature-monthly_charges-PSI-critical')).toMatchObject({ metric: 'PSI', threshold: 0.25, comparison: 'GreaterThanOrEqualToThreshold' });
    expect(lines).toContainEqual(expect.stringContaining('moto\'s CloudFormation skips AWS::CloudWatch::Alarm'));
  });

  test('the deployed drift detector finds the shifted feature drifted and the others not', () => {
    expect(result.drift!.run.status).toBe('SUCCEEDED');
    const report = result.drift!.report;
    expect([report.status, report.rows]).toEqual(['ok', 400]);
    const byName = Object.fromEntries(report.features.map((f: any) => [f.name, f]));
    expect(Object.keys(byName).sort()).toEqual(['age', 'contract_years', 'monthly_charges', 'support_calls', 'tenure_months', 'usage_gb']);
    expect(byName[SHIFTED_FEATURE]).toMatchObject({ drifted: true, psi: expect.any(Number) });
    expect(byName[SHIFTED_FEATURE].psi).toBeGreaterThan(0.25);
    for (const f of report.features.filter((x: any) => x.name !== SHIFTED_FEATURE)) expect([f.name, f.drifted, f.psi < 0.25]).toEqual([f.name, false, true]);
    expect(result.drift!.captureKeys).toHaveLength(2);
    for (const key of result.drift!.captureKeys) expect(key).toMatch(/^churn-endpoint\/churn\/AllTraffic\/\d{4}\/\d\d\/\d\d\/\d\d\/\d\d-\d\d-\d{3}-[0-9a-f-]{36}\.jsonl$/);
  });

  test('the pipeline\'s service calls went to moto: jobs, registry, promotion, run slots, trigger rule', () => {
    expect(result.motoCalls).toEqual(expect.arrayContaining([
      'sagemaker.CreateProcessingJob', 'sagemaker.DescribeProcessingJob', 'sagemaker.CreateTrainingJob', 'sagemaker.DescribeTrainingJob',
      'sagemaker.CreateModelPackage', 'cloudformation.UpdateStack', 'cloudformation.DescribeStacks', 'sagemaker.DescribeEndpoint',
      'dynamodb.PutItem', 'dynamodb.UpdateItem', 'eventbridge.ListTargetsByRule', 'lambda.GetFunctionConfiguration', 'sfn.DescribeStateMachine',
    ]));
    // .sync: the start call first, then describe.
    expect(result.motoCalls.indexOf('sagemaker.CreateTrainingJob')).toBeLessThan(result.motoCalls.indexOf('sagemaker.DescribeTrainingJob'));
  });

  test('says, before each machine runs, which Wait states and Retry intervals it runs for 0 s, and each answer that is not moto\'s own', () => {
    const pipelineAt = lines.findIndex((l) => l.startsWith('== Pipeline', 1));
    const driftAt = lines.findIndex((l) => l.startsWith('== Drift check', 1));
    expect([pipelineAt, driftAt].every((i) => i > 0)).toBe(true);
    for (const [from, to] of [[pipelineAt, driftAt], [driftAt, lines.length]]) {
      expect(lines.slice(from, to)).toContainEqual(expect.stringMatching(/^ {2}0 s locally: the Retry intervals of \S/));
    }
    expect(lines).toContainEqual(expect.stringMatching(/^ {4}churn-train-[0-9a-f]{32}: FinalMetricDataList is the last value of each metric line the script printed \(.*validation:auc.*\), in place of moto's placeholder/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {4}\(sagemaker:describeEndpoint of churn asks moto for MlopsReference-Endpoint\S+: moto ignores the template's EndpointName\)$/));
  });

  test('says what it changed in the template for moto', () => {
    expect(result.adaptations.map((a) => a.what)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^Custom::CDKBucketDeployment removed/),
      expect.stringMatching(/^GetAtt Registry\w+\.ModelPackageGroupArn .* replaced by its ARN$/),
      expect.stringMatching(/^InstanceType ml\.g5\.xlarge -> ml\.g4dn\.xlarge/),
    ]));
    // What moto's CloudFormation dropped and the run put back with the service's API, named.
    expect(lines).toContainEqual(expect.stringMatching(/^moto drops S3 versioning from templates: versioning turned on with S3's API for the buckets whose template enables it: .*rawbucket/));
  });

  test('leaves nothing behind: the work folder is gone and moto\'s port is closed', async () => {
    const folder = /work folder (\S+)\)/.exec(lines[0])![1];
    expect(fs.existsSync(folder)).toBe(false);
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(lines[0])![1]);
    const connected = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    expect(connected).toBe(false);
  });
});

describe('local run helpers', () => {
  test('a Python without moto fails with what to install', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-nomoto-'));
    try {
      const python = path.join(dir, 'python3');
      // -S: no site-packages, so no moto (the same interpreter otherwise).
      const real = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
      fs.writeFileSync(python, `#!/bin/sh\nexec ${real} -S "$@"\n`, { mode: 0o755 });
      await expect(requireMoto(python)).rejects.toThrow(/has none:[\s\S]*ModuleNotFoundError: No module named 'moto'[\s\S]*pip install "moto\[server\]==5\.2\.1"/);
      await expect(requireMoto(path.join(dir, 'missing-python'))).rejects.toThrow(/pip install "moto\[server\]/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a job\'s final metrics are the last value of each metric line, as SageMaker reports them', () => {
    const log = 'estimators=10 train:loss=0.500000;\nno metric here: 3\nestimators=20 train:loss=0.400000;\nvalidation:auc=0.910000;\nvalidation:auc=0.905000;\n';
    expect(finalMetrics(log)).toEqual([{ MetricName: 'train:loss', Value: 0.4 }, { MetricName: 'validation:auc', Value: 0.905 }]);
  });

  test('a .sync job succeeds only Completed; Failed and Stopped fail the task with States.TaskFailed and the describe answer as Cause', () => {
    const completed = { TrainingJobName: 'j', TrainingJobStatus: 'Completed' };
    expect(completedJob(completed, 'TrainingJobStatus')).toBe(completed);
    for (const status of ['Failed', 'Stopped']) {
      const described = { ProcessingJobName: 'p', ProcessingJobStatus: status, FailureReason: 'why' };
      let error: any;
      try { completedJob(described, 'ProcessingJobStatus'); } catch (e) { error = e; }
      expect([error?.name, JSON.parse(error?.message)]).toEqual(['States.TaskFailed', described]);
    }
  });

  test('a processing script gets its container-path flags pointed into the job\'s folder', () => {
    const script = path.join(__dirname, '..', 'examples', 'training', 'scripts', 'preprocess.py');
    expect(containerPathFlags(script, (p) => `/job${p}`)).toEqual(['--input-dir', '/job/opt/ml/processing/input', '--output-dir', '/job/opt/ml/processing/output']);
  });

  test('the template is adapted to moto only where moto lacks something, and each change is reported', () => {
    const template: Template = {
      Resources: {
        Group: { Type: 'AWS::SageMaker::ModelPackageGroup', Properties: { ModelPackageGroupName: 'churn' } },
        Policy: { Type: 'AWS::IAM::Policy', Properties: { Resource: [{ 'Fn::GetAtt': ['Group', 'ModelPackageGroupArn'] }, { 'Fn::GetAtt': ['Bucket', 'Arn'] }] } },
        Bucket: { Type: 'AWS::S3::Bucket' },
        Upload: { Type: 'Custom::CDKBucketDeployment', Properties: { DestinationBucketKeyPrefix: 'churn/' } },
        After: { Type: 'AWS::S3::Bucket', DependsOn: ['Upload', 'Bucket'] },
        Config: { Type: 'AWS::SageMaker::EndpointConfig', Properties: { ProductionVariants: [{ InstanceType: 'ml.g5.xlarge' }, { InstanceType: 'ml.g4dn.xlarge' }] } },
      },
    };
    const removed: Template['Resources'] = {};
    const adaptations = adaptTemplate(template, new Set(['AWS::IAM::Policy', 'AWS::S3::Bucket', 'AWS::SageMaker::EndpointConfig']), new Set(['ml.g4dn.xlarge']), removed);
    expect(template.Resources.Policy.Properties.Resource).toEqual([
      { 'Fn::Sub': 'arn:${AWS::Partition}:sagemaker:${AWS::Region}:${AWS::AccountId}:model-package-group/churn' },
      { 'Fn::GetAtt': ['Bucket', 'Arn'] },
    ]);
    expect(Object.keys(removed)).toEqual(['Upload']);
    expect(template.Resources.Upload).toBeUndefined();
    expect(template.Resources.After.DependsOn).toEqual(['Bucket']);
    expect(template.Resources.Config.Properties.ProductionVariants.map((v: any) => v.InstanceType)).toEqual(['ml.g4dn.xlarge', 'ml.g4dn.xlarge']);
    expect(adaptations.map((a) => a.resource)).toEqual(['Upload', 'Policy', 'Config']);
  });

  test('a value of a skipped resource that the adaptation cannot stand in for fails, naming it', () => {
    const template: Template = {
      Resources: {
        Db: { Type: 'AWS::Glue::Database' },
        Fn: { Type: 'AWS::Lambda::Function', Properties: { Environment: { Variables: { DB: { 'Fn::GetAtt': ['Db', 'Name'] } } } } },
      },
    };
    expect(() => adaptTemplate(template, new Set(['AWS::Lambda::Function']), new Set())).toThrow(
      'Fn reads Name of Db (AWS::Glue::Database), a type moto does not create: add its value to local/deploy.ts arnOf()');
  });

  test('the timing it changes is named: Wait states (nested ones too) for 0 s, Retry intervals 0 s, nothing for a machine without them', () => {
    const said: string[] = [];
    logTiming({
      StartAt: 'Poll',
      States: {
        Poll: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:sagemaker:describeEndpoint', Retry: [{ ErrorEquals: ['States.ALL'] }], Next: 'Each' },
        Each: { Type: 'Map', ItemProcessor: { StartAt: 'Pause', States: { Pause: { Type: 'Wait', Seconds: 60, End: true } } }, End: true },
      },
    }, (line) => said.push(line));
    expect(said).toEqual([
      '  0 s locally: the Wait states Pause (Step Functions waits their Seconds; moto answers at once)',
      '  0 s locally: the Retry intervals of Poll (Step Functions waits IntervalSeconds x BackoffRate each attempt)',
    ]);
    said.length = 0;
    logTiming({ StartAt: 'Done', States: { Done: { Type: 'Succeed' } } }, (line) => said.push(line));
    expect(said).toEqual([]);
  });

  test('the InputTransformer puts each path\'s value into the template as JSON', () => {
    const event = { detail: { bucket: { name: 'raw' }, object: { key: 'churn/_SUCCESS', 'version-id': 'v1' } } };
    expect(transform({
      InputPathsMap: { b: '$.detail.bucket.name', k: '$.detail.object.key', v: '$.detail.object.version-id' },
      InputTemplate: '{"trigger":"new-data","bucket":<b>,"key":<k>,"versionId":<v>}',
    }, event)).toEqual({ trigger: 'new-data', bucket: 'raw', key: 'churn/_SUCCESS', versionId: 'v1' });
  });
});
