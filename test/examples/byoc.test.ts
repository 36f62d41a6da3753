/**
 * examples/byoc: the container's image is a Docker asset of the stack (built by `cdk deploy`, not
 * at synth), and its programs honour SageMaker's container contract. `train` and `serve` run for
 * real here with python3, without Docker: OPT_ML_DIR moves /opt/ml to a temporary folder laid out
 * as SageMaker lays it out, and serve listens on 127.0.0.1 on a port the OS picks.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { ROOT, testApp } from '../helpers/app';
import { ByocStack, CONTAINER, GATE_THRESHOLD, METRIC_DEFINITIONS } from '../../examples/byoc/byoc-stack';

const PROGRAM = path.join(CONTAINER, 'program');
const SAMPLE = path.join(ROOT, 'examples', 'training', 'data', 'sample');
const PREPROCESS = path.join(ROOT, 'examples', 'training', 'scripts', 'preprocess.py');
const TIMEOUT = 60_000;
/** No SM_* or OPT_ML_DIR from the shell, and no __pycache__ written into the image's folder. */
const BASE_ENV = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('SM_') && k !== 'OPT_ML_DIR')),
  PYTHONDONTWRITEBYTECODE: '1',
};

describe('the stack', () => {
  const app = testApp();
  const stack = new ByocStack(app, 'ByocExample');
  const assembly = app.synth();
  const artifact = assembly.getStackByName('ByocExample');
  const template = artifact.template;

  test('builds the image from the example\'s Dockerfile as a Docker image asset of the manifest', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(assembly.directory, `${artifact.id}.assets.json`), 'utf8'));
    const images = Object.entries<any>(manifest.dockerImages ?? {});
    // Training and serving bind the same image: one asset.
    expect(images).toHaveLength(1);
    const [hash, image] = images[0];
    const staged = path.join(assembly.directory, image.source.directory);
    expect(fs.readFileSync(path.join(staged, 'Dockerfile'), 'utf8')).toBe(fs.readFileSync(path.join(CONTAINER, 'Dockerfile'), 'utf8'));
    for (const program of ['train', 'serve']) {
      expect(fs.statSync(path.join(staged, 'program', program)).mode & 0o111).not.toBe(0);
    }
    // Published by `cdk deploy` (docker build of the staged folder) to the bootstrap repository.
    // Built for the x86 instances it runs on, whatever machine runs `cdk deploy`.
    expect(image.source).toEqual({ directory: image.source.directory, platform: 'linux/amd64' });
    expect(Object.values(image.destinations)).toEqual([expect.objectContaining({
      repositoryName: 'cdk-hnb659fds-container-assets-${AWS::AccountId}-${AWS::Region}', imageTag: hash,
    })]);
    // The training job runs this image, by its asset tag.
    const definition = JSON.stringify(template.Resources[Object.keys(template.Resources).find((id) => template.Resources[id].Type === 'AWS::StepFunctions::StateMachine')!]);
    expect(definition).toContain(`container-assets-`);
    expect(definition).toContain(`:${hash}`);
  });

  test('the job role and the endpoint\'s execution role may pull from the asset repository, and the endpoint serves the promoted version', () => {
    const pulls = Object.values<any>(template.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Policy')
      .filter((r) => r.Properties.PolicyDocument.Statement.some((s: any) => [s.Action].flat().includes('ecr:BatchGetImage')
        && JSON.stringify(s.Resource).includes('container-assets')));
    expect(pulls).toHaveLength(2);
    expect(stack.ml.endpoint.node.findAll().some((c: any) => c.cfnOptions?.condition)).toBe(true);
  });
});

describe('the container\'s programs, run with python3 under the /opt/ml layout', () => {
  let dir: string;
  let server: ChildProcess | undefined;
  const trained = () => path.join(dir, 'opt-ml');

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-byoc-'));
    // What the pipeline's preprocessing step writes into the channels, from the sample data set.
    const pre = spawnSync('python3', [PREPROCESS, '--input-dir', SAMPLE, '--output-dir', path.join(dir, 'splits')], { encoding: 'utf8', timeout: TIMEOUT, env: BASE_ENV });
    if (pre.status !== 0) throw new Error(`preprocess.py failed (pip install -r examples/training/scripts/requirements.txt):\n${pre.stdout}\n${pre.stderr}`);
    layout(trained(), { epochs: '300', learning_rate: '0.1', l2: '0.001', sagemaker_region: '"us-east-1"' });
  }, TIMEOUT);

  afterAll(async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGKILL');
      await new Promise((resolve) => server!.once('exit', resolve));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** /opt/ml as SageMaker lays it out: channels under input/data, hyperparameters as strings. */
  function layout(root: string, hyperparameters: Record<string, string>, channels = ['train', 'validation']): void {
    for (const channel of channels) fs.cpSync(path.join(dir, 'splits', channel), path.join(root, 'input', 'data', channel), { recursive: true });
    fs.mkdirSync(path.join(root, 'input', 'config'), { recursive: true });
    fs.writeFileSync(path.join(root, 'input', 'config', 'hyperparameters.json'), JSON.stringify(hyperparameters));
  }

  function train(root: string) {
    // SageMaker runs `docker run <image> train`: the program on PATH, from the image's WORKDIR.
    return spawnSync(path.join(PROGRAM, 'train'), [], { cwd: PROGRAM, encoding: 'utf8', timeout: TIMEOUT, env: { ...BASE_ENV, OPT_ML_DIR: root } });
  }

  test('train fits a model on the sample data that passes the pipeline\'s gate, printing what the metric definitions read', () => {
    const run = train(trained());
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
    const metrics = Object.fromEntries(METRIC_DEFINITIONS.map(({ name, regex }) => [name, Number(new RegExp(regex).exec(run.stdout)?.[1])]));
    expect(metrics['validation:auc']).toBeGreaterThanOrEqual(GATE_THRESHOLD);
    expect(metrics['validation:accuracy']).toBeGreaterThan(0.7);
    expect(metrics['train:loss']).toBeLessThan(0.6);
    const model = JSON.parse(fs.readFileSync(path.join(trained(), 'model', 'model.json'), 'utf8'));
    expect(model.features).toBe(6);
    expect(fs.existsSync(path.join(trained(), 'output', 'failure'))).toBe(false);
  });

  test('train reads its hyperparameters from hyperparameters.json: one epoch fits a worse model than 300', () => {
    const root = path.join(dir, 'one-epoch');
    layout(root, { epochs: '1', learning_rate: '0.1', l2: '0.001' });
    const loss = (stdout: string) => Number(/train:loss=([0-9.]+)/.exec(stdout)![1]);
    const short = train(root);
    expect(short.status).toBe(0);
    expect(loss(short.stdout)).toBeGreaterThan(loss(train(trained()).stdout) + 0.1);
  });

  test('train says which hyperparameters it ignores, so that a misspelt one is not silently the default', () => {
    const root = path.join(dir, 'misspelt');
    layout(root, { epoch: '1', learning_rate: '0.1' });
    const run = train(root);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain("ignoring unknown hyperparameters: ['epoch']; this program reads ['epochs', 'l2', 'learning_rate']");
  });

  test.each([
    ['a channel without data', { epochs: '300' }, ['train'], /channel 'validation' has no \*\.csv files/],
    ['hyperparameters that are not numbers', { epochs: 'many' }, ['train', 'validation'], /hyperparameters must be numbers/],
  ])('train fails on %s: exit status 1 and the reason in /opt/ml/output/failure', (_name, hyperparameters, channels, reason) => {
    const root = path.join(dir, `failing-${channels.length}-${hyperparameters.epochs}`);
    layout(root, hyperparameters, channels);
    const run = train(root);
    expect(run.status).toBe(1);
    expect(fs.readFileSync(path.join(root, 'output', 'failure'), 'utf8')).toMatch(reason);
    expect(fs.existsSync(path.join(root, 'model', 'model.json'))).toBe(false);
  });

  test('train exits 143 on SIGTERM, which SageMaker sends to stop a job (as the container\'s PID 1 it would otherwise ignore it until the SIGKILL 120 s later)', async () => {
    const root = path.join(dir, 'stopped');
    // Enough epochs to be still training when the signal comes.
    layout(root, { epochs: '100000000', learning_rate: '0.1', l2: '0.001' });
    // PYTHONUNBUFFERED as the image sets it: the line that says training has started arrives when printed.
    const job = spawn(path.join(PROGRAM, 'train'), [], { cwd: PROGRAM, env: { ...BASE_ENV, PYTHONUNBUFFERED: '1', OPT_ML_DIR: root }, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => job.once('exit', (code, sig) => resolve({ code, signal: sig })));
    await new Promise<void>((resolve, reject) => {
      job.stdout!.on('data', (chunk) => { if (String(chunk).includes('training on ')) resolve(); });
      job.once('exit', (code) => reject(new Error(`train exited with ${code} before training`)));
    });
    job.kill('SIGTERM');
    expect(await exited).toEqual({ code: 143, signal: null });
    // A stopped job is not a failed one: no failure reason, no model.
    expect(fs.existsSync(path.join(root, 'output', 'failure'))).toBe(false);
    expect(fs.existsSync(path.join(root, 'model', 'model.json'))).toBe(false);
  }, TIMEOUT);

  describe('serve', () => {
    let base: string;

    beforeAll(async () => {
      if (!fs.existsSync(path.join(trained(), 'model', 'model.json'))) {
        const run = train(trained());
        if (run.status !== 0) throw new Error(`train failed:\n${run.stdout}\n${run.stderr}`);
      }
      server = spawn(path.join(PROGRAM, 'serve'), [], {
        cwd: PROGRAM,
        env: { ...BASE_ENV, OPT_ML_DIR: trained(), SAGEMAKER_BIND_TO_PORT: '0', SERVE_BIND_HOST: '127.0.0.1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      base = await new Promise<string>((resolve, reject) => {
        let out = '';
        server!.stdout!.on('data', (chunk) => {
          out += chunk;
          const address = /listening on (127\.0\.0\.1:\d+)/.exec(out);
          if (address) resolve(`http://${address[1]}`);
        });
        server!.once('exit', (code) => reject(new Error(`serve exited with ${code} before listening: ${out}`)));
      });
    }, TIMEOUT);

    function request(method: string, urlPath: string, body?: string, contentType = 'text/csv'): Promise<{ status: number; body: string; type?: string }> {
      return new Promise((resolve, reject) => {
        const req = http.request(`${base}${urlPath}`, { method, headers: body === undefined ? {} : { 'Content-Type': contentType } }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk) => { text += chunk; });
          res.on('end', () => resolve({ status: res.statusCode!, body: text, type: res.headers['content-type'] }));
        });
        req.on('error', reject);
        req.end(body);
      });
    }

    test('GET /ping answers 200 once the model is loaded', async () => {
      expect(await request('GET', '/ping')).toMatchObject({ status: 200 });
    });

    test('POST /invocations scores CSV rows of features, one probability a line, ranking churners first', async () => {
      const rows = fs.readFileSync(path.join(dir, 'splits', 'test', 'test.csv'), 'utf8').trim().split('\n');
      const labels = rows.map((r) => Number(r.split(',')[0]));
      const features = rows.map((r) => r.split(',').slice(1).join(','));
      const response = await request('POST', '/invocations', `${features.join('\n')}\n`);
      expect(response).toMatchObject({ status: 200, type: 'text/csv' });
      const scores = response.body.trim().split('\n').map(Number);
      expect(scores).toHaveLength(rows.length);
      expect(scores.every((p) => p >= 0 && p <= 1)).toBe(true);
      expect(auc(labels, scores)).toBeGreaterThanOrEqual(GATE_THRESHOLD);
    });

    test.each([
      ['a row of the wrong width', '1,2,3\n', 'text/csv', 400, /each row needs 6 features \(no label\); got 3/],
      ['a row that is not numbers', 'a,b,c,d,e,f\n', 'text/csv', 400, /not CSV rows of numbers/],
      ['another content type', '{"rows": []}', 'application/json', 415, /unsupported content type 'application\/json': send text\/csv/],
    ])('POST /invocations rejects %s with a message', async (_name, body, type, status, message) => {
      const response = await request('POST', '/invocations', body, type);
      expect(response.status).toBe(status);
      expect(response.body).toMatch(message);
    });

    /** Everything the server sends on one raw connection until it closes it (or `wait` ms pass: then 'still open'). */
    function exchange(raw: string, wait = 5_000): Promise<string> {
      return new Promise((resolve, reject) => {
        const { hostname, port } = new URL(base);
        const socket = net.connect(Number(port), hostname, () => socket.write(raw));
        let received = '';
        const timer = setTimeout(() => { socket.destroy(); resolve(`${received}still open`); }, wait);
        socket.on('data', (chunk) => { received += chunk; });
        socket.on('error', reject);
        socket.on('end', () => { clearTimeout(timer); resolve(received); });
      });
    }

    test.each([
      ['a path it does not serve', 'POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: 22\r\n\r\nGET /ping HTTP/1.1\r\n\r\n', 404],
      ['a body over 6 MB (not sent)', 'POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: 7000000\r\n\r\n', 413],
      ['a chunked body, whose length it does not read', 'POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n16\r\nGET /ping HTTP/1.1\r\n\r\n\r\n0\r\n\r\n', 411],
      ['a Content-Length that is not a number', 'POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: lots\r\n\r\nGET /ping HTTP/1.1\r\n\r\n', 400],
    ])('POST with %s is answered before its body is read, and the kept-alive connection closes, so no body bytes are read as a request', async (_name, raw, status) => {
      const received = await exchange(raw);
      // One response only: the body (here a request line) was not answered as a second request.
      expect(received.match(/^HTTP\/1\.1 \d+/gm)).toEqual([`HTTP/1.1 ${status}`]);
      expect(received).toMatch(/^Connection: close\r$/m);
      expect(received).not.toContain('still open');
    });

    test('stops on SIGTERM, as SageMaker stops a container', async () => {
      const exited = new Promise<number | null>((resolve) => server!.once('exit', (code) => resolve(code)));
      server!.kill('SIGTERM');
      expect(await exited).toBe(0);
    });
  });
});

/** ROC AUC as the Mann-Whitney statistic, ties counted half. */
function auc(labels: number[], scores: number[]): number {
  const pos = scores.filter((_, i) => labels[i] === 1);
  const neg = scores.filter((_, i) => labels[i] === 0);
  let wins = 0;
  for (const p of pos) for (const n of neg) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (pos.length * neg.length);
}
