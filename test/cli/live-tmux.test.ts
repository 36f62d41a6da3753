/**
 * The live display in a real terminal: the bundled CLI (assets/cli/mlops.js) runs in tmux against
 * a local stand-in for Step Functions and SageMaker on 127.0.0.1, and Ctrl-C is a real keypress.
 * tmux is required (apt-get install -y tmux): without it this test fails.
 */
import { execFileSync } from 'child_process';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { ROOT } from '../helpers/app';

const CLI = path.join(ROOT, 'assets', 'cli', 'mlops.js');
const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:ChurnPipeline:run-7';
const SOCKET = `mlops-cli-test-${process.pid}`;
const calls: string[] = [];
let server: http.Server;
let polls = 0;

const t0 = Date.now() / 1000 - 120;
const event = (id: number, type: string, at: number, details: Record<string, unknown>) => ({ id, previousEventId: id - 1, type, timestamp: t0 + at, ...details });
const HISTORY = [
  event(1, 'ExecutionStarted', 0, {}),
  event(2, 'PassStateEntered', 0, { stateEnteredEventDetails: { name: 'PlanRun' } }),
  event(3, 'PassStateExited', 0, { stateExitedEventDetails: { name: 'PlanRun', output: JSON.stringify({ plan: { modelUri: 's3://art/churn/runs/run-7/model/', manifestKey: 'churn/runs/run-7/manifest.json' } }) } }),
  event(4, 'TaskStateEntered', 1, { stateEnteredEventDetails: { name: 'Train' } }),
  event(5, 'TaskScheduled', 1, { taskScheduledEventDetails: { resourceType: 'sagemaker', resource: 'createTrainingJob.sync', region: 'us-east-1', parameters: '{"TrainingJobName":"churn-train-77"}' } }),
];

function answer(target: string): unknown {
  calls.push(target);
  switch (target) {
    case 'AWSStepFunctions.DescribeExecution':
      polls++;
      return { executionArn: EXECUTION, stateMachineArn: EXECUTION.replace(':execution:', ':stateMachine:').replace(/:run-7$/, ''), name: 'run-7', status: 'RUNNING', startDate: t0 };
    case 'AWSStepFunctions.GetExecutionHistory':
      return { events: HISTORY };
    case 'SageMaker.DescribeTrainingJob':
      return {
        TrainingJobName: 'churn-train-77', TrainingJobStatus: 'InProgress', SecondaryStatus: 'Training',
        SecondaryStatusTransitions: [
          { Status: 'Starting', StartTime: t0 + 2, EndTime: t0 + 62, StatusMessage: 'Preparing the instances for training' },
          { Status: 'Training', StartTime: t0 + 62, StatusMessage: 'Training in progress.' },
        ],
        FinalMetricDataList: [{ MetricName: 'train:loss', Value: 0.25 + polls / 100, Timestamp: t0 + 100 }],
      };
    default:
      return undefined;
  }
}

function tmux(...args: string[]): string {
  return execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8', timeout: 10_000 });
}

/** Waits (bounded) until the pane shows `text`; returns the pane. */
async function paneShows(session: string, text: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let pane = '';
  while (Date.now() < deadline) {
    pane = tmux('capture-pane', '-p', '-t', session);
    if (pane.includes(text)) return pane;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`the pane did not show '${text}' within ${timeoutMs} ms:\n${pane}`);
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      const result = answer(String(req.headers['x-amz-target']));
      res.writeHead(result ? 200 : 400, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(result ?? { __type: 'UnknownOperationException', message: body }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  try { tmux('kill-server'); } catch { /* already gone */ }
  await new Promise((resolve) => server.close(resolve));
});

/** `mlops watch` in a new tmux session of 160x40, against the stand-in; the pane stays after the CLI exits. */
function startWatch(session: string, extraEnv: string[] = []): void {
  const { port } = server.address() as AddressInfo;
  const env = [
    `AWS_ENDPOINT_URL=http://127.0.0.1:${port}`, 'AWS_ACCESS_KEY_ID=testing', 'AWS_SECRET_ACCESS_KEY=testing', 'AWS_REGION=us-east-1',
    'AWS_CONFIG_FILE=/dev/null', 'AWS_SHARED_CREDENTIALS_FILE=/dev/null', 'AWS_EC2_METADATA_DISABLED=true', 'NODE_NO_WARNINGS=1', 'TERM=xterm-256color',
    ...extraEnv,
  ];
  // `; sleep 30` keeps the pane (and what the CLI printed last) after it exits.
  const command = `env -u NO_COLOR ${env.join(' ')} ${process.execPath} ${CLI} watch ${EXECUTION} --interval 1; echo "exit=$?"; sleep 30`;
  tmux('new-session', '-d', '-s', session, '-x', '160', '-y', '40', command);
}

test('watch redraws one block in place, shows the training job, and Ctrl-C detaches without stopping the run', async () => {
  polls = 0;
  startWatch('colour');
  await paneShows('colour', 'train:loss=0.2800');
  // Three polls drawn, one block on the screen: redrawn in place, not appended.
  const pane = tmux('capture-pane', '-p', '-t', 'colour');
  expect(pane.match(/training job churn-train-77/g)).toHaveLength(1);
  expect(pane).toMatch(/run-7 {2}RUNNING {2}2m\d\ds/);
  expect(pane).toMatch(/Train\s+RUNNING\s+\d+m\d\ds/);
  expect(pane).toMatch(/Starting\s+1m00s\s+Preparing the instances for training/);
  // Colours on a terminal.
  expect(tmux('capture-pane', '-p', '-e', '-t', 'colour')).toContain('\u001b[');

  tmux('send-keys', '-t', 'colour', 'C-c');
  const after = await paneShows('colour', 'exit=');
  expect(after).toContain(`detached: run-7 goes on (RUNNING). Re-attach with: mlops watch ${EXECUTION}`);
  expect(after).toContain('exit=0');
  expect(calls).not.toContain('AWSStepFunctions.StopExecution');
  tmux('kill-session', '-t', 'colour');
});

test('NO_COLOR keeps the redrawn display and drops the colours', async () => {
  polls = 0;
  startWatch('plain', ['NO_COLOR=1']);
  await paneShows('plain', 'train:loss=0.2800');
  const pane = tmux('capture-pane', '-p', '-e', '-t', 'plain');
  expect(pane.match(/training job churn-train-77/g)).toHaveLength(1);
  expect(pane).not.toContain('\u001b[');
  tmux('send-keys', '-t', 'plain', 'C-c');
  expect(await paneShows('plain', 'exit=')).toContain('exit=0');
  tmux('kill-session', '-t', 'plain');
});
