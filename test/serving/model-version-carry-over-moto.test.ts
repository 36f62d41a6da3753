/**
 * The read step of ModelVersionCarryOver, run with the real AWS CLI against a local moto server as
 * CodeBuild would run it: the profile assumes the deploy role with the container's credentials
 * (served here on 127.0.0.1 the way CodeBuild's credential endpoint serves them), then reads the
 * stack. This checks the commands against the CLI's own behaviour (profile resolution, the message
 * of a stack that does not exist), which the stand-in CLI of model-version-carry-over.test.ts assumes.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { CloudFormationClient, CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { MOTO_ACCOUNT, MOTO_REGION, MotoServer, motoEnv, startMoto } from '../helpers/moto';
import { MODEL_VERSIONS_FILE, readCommands } from '../../lib/serving/private/model-version-read-step';

const DEPLOY_ROLE = `arn:aws:iam::${MOTO_ACCOUNT}:role/cdk-hnb659fds-deploy-role-${MOTO_ACCOUNT}-${MOTO_REGION}`;
const SERVED = `arn:aws:sagemaker:${MOTO_REGION}:${MOTO_ACCOUNT}:model-package/churn/4`;

describe('the read step with the AWS CLI against moto', () => {
  let moto: MotoServer;
  let credentials: http.Server;
  let dir: string;
  const containerRequests: string[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-carry-over-moto-'));
    moto = await startMoto();
    // What CodeBuild's container credential endpoint answers (AWS_CONTAINER_CREDENTIALS_*).
    credentials = http.createServer((req, res) => {
      containerRequests.push(req.url ?? '');
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ AccessKeyId: 'ASIACONTAINER', SecretAccessKey: 'container-secret', Token: 'container-token', Expiration: new Date(Date.now() + 3_600_000).toISOString() }));
    });
    await new Promise<void>((resolve) => credentials.listen(0, '127.0.0.1', resolve));
    const cfn = new CloudFormationClient({ endpoint: moto.endpoint, region: MOTO_REGION, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await cfn.send(new CreateStackCommand({
      StackName: 'Production-Serving',
      TemplateBody: JSON.stringify({
        Parameters: { ModelVersionChurn: { Type: 'String', Default: 'none' } },
        Resources: { Topic: { Type: 'AWS::SNS::Topic' } },
      }),
      Parameters: [{ ParameterKey: 'ModelVersionChurn', ParameterValue: SERVED }],
    }));
    cfn.destroy();
  }, 60_000);

  afterAll(async () => {
    await moto?.stop();
    await new Promise((resolve) => credentials?.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the commands in bash; asynchronously, so that this process's credential endpoint can answer. */
  async function runStep(stackName: string, keys: string) {
    const work = fs.mkdtempSync(path.join(dir, 'work-'));
    const env = motoEnv(moto);
    // Only the container's credentials, as in CodeBuild: no keys in the environment, a config file of its own.
    delete env.AWS_ACCESS_KEY_ID;
    delete env.AWS_SECRET_ACCESS_KEY;
    const child = spawn('bash', ['-c', readCommands().join('\n')], {
      cwd: work,
      timeout: 60_000,
      env: {
        ...env,
        AWS_CONFIG_FILE: path.join(work, 'aws-config'),
        AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'aws-credentials'),
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `http://127.0.0.1:${(credentials.address() as AddressInfo).port}/creds`,
        DEPLOY_ROLE_ARN: DEPLOY_ROLE,
        STACK_NAME: stackName,
        STACK_REGION: MOTO_REGION,
        PARAMETER_KEYS: keys,
      },
    });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
    const file = path.join(work, 'model-versions', MODEL_VERSIONS_FILE);
    return {
      status,
      output,
      versions: fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : undefined,
      config: fs.readFileSync(path.join(work, 'aws-config'), 'utf8'),
    };
  }

  test('reads the served version of an existing stack through the deploy-role profile', async () => {
    const run = await runStep('Production-Serving', 'ModelVersionChurn ModelVersionFraud');
    expect({ status: run.status, versions: run.versions }).toEqual({ status: 0, versions: { ModelVersionChurn: SERVED, ModelVersionFraud: 'none' } });
    expect(run.config).toContain(`role_arn = ${DEPLOY_ROLE}`);
    expect(run.config).toContain('credential_source = EcsContainer');
    // The role was assumed with the container's credentials.
    expect(containerRequests.length).toBeGreaterThan(0);
  });

  test('writes none for a stack that does not exist yet, from the CLI\'s own error', async () => {
    const run = await runStep('Staging-Serving', 'ModelVersionChurn');
    expect({ status: run.status, versions: run.versions }).toEqual({ status: 0, versions: { ModelVersionChurn: 'none' } });
  });
});
