/**
 * The run-manifest function's own S3 client against a local HTTP server that answers like S3
 * under load (503 SlowDown): the SDK's retries, not a mock's, carry the listing through.
 *
 * The SDK waits a full-jitter backoff between attempts, `Math.random() * min(base * 2^attempt, 20 s)`
 * (500 ms base for throttling errors like SlowDown): seconds per test for waits that prove nothing.
 * Math.random answers 0 here, so each wait is 0 ms; the client, its retry strategy, the attempts it
 * makes and the error it ends with are the handler's own.
 */
import * as http from 'http';
import { AddressInfo } from 'net';

const LISTING = `<?xml version="1.0" encoding="UTF-8"?>
<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>lake-raw</Name><Prefix>churn/</Prefix><IsTruncated>false</IsTruncated>
<Version><Key>churn/a.csv</Key><VersionId>a1</VersionId><IsLatest>true</IsLatest><LastModified>2026-11-20T08:30:00.000Z</LastModified><ETag>"e"</ETag><Size>3</Size></Version>
<DeleteMarker><Key>churn/b.csv</Key><VersionId>b-del</VersionId><IsLatest>true</IsLatest><LastModified>2026-11-21T08:30:00.000Z</LastModified></DeleteMarker>
<Version><Key>churn/b.csv</Key><VersionId>b1</VersionId><IsLatest>false</IsLatest><LastModified>2026-11-20T08:30:00.000Z</LastModified><ETag>"e"</ETag><Size>3</Size></Version>
</ListVersionsResult>`;
const SLOW_DOWN = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>';

describe('run-manifest S3 retries', () => {
  const requests: string[] = [];
  const bodies: string[] = [];
  let throttled = 0;
  let server: http.Server;
  let saved: NodeJS.ProcessEnv;
  let manifest: typeof import('../../lambda/run-manifest');

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => { body += chunk; });
      req.on('end', () => {
        requests.push(`${req.method} ${req.url}`);
        if (req.method === 'GET' && throttled > 0) {
          throttled--;
          res.writeHead(503, { 'content-type': 'application/xml' }).end(SLOW_DOWN);
        } else if (req.method === 'GET') {
          res.writeHead(200, { 'content-type': 'application/xml' }).end(LISTING);
        } else {
          bodies.push(body);
          res.writeHead(200, { etag: '"m"' }).end();
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1',
    });
    // The module makes its client when loaded: load a fresh copy with the server as S3's endpoint.
    await jest.isolateModulesAsync(async () => { manifest = await import('../../lambda/run-manifest'); });
  });

  afterAll(async () => {
    process.env = saved;
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    requests.length = 0;
    bodies.length = 0;
    jest.spyOn(Math, 'random').mockReturnValue(0);
  });

  afterEach(() => {
    jest.restoreAllMocks();
  });

  test('two SlowDown answers are retried by the SDK, and the manifest is written from the third', async () => {
    throttled = 2;
    const result = await manifest.handler({
      manifestBucket: 'lake-artifacts', manifestKey: 'runs/exec-1/manifest.json',
      inputs: [{ bucket: 'lake-raw', prefix: 'churn/' }],
      execution: { id: 'exec-1', startTime: '2026-11-27T10:00:00.000Z' },
      run: { outcome: { status: 'REGISTERED' }, training: { TrainingJobName: 't' } },
    });
    expect(requests.filter((r) => r.startsWith('GET /lake-raw/'))).toHaveLength(3);
    expect(requests.filter((r) => r.startsWith('PUT /lake-artifacts/runs/exec-1/manifest.json'))).toHaveLength(1);
    expect(result).toEqual({ manifestUri: 's3://lake-artifacts/runs/exec-1/manifest.json', inputObjects: 1, problems: [] });
    expect(JSON.parse(bodies[0]).inputs[0].objects.map((o: any) => o.versionId)).toEqual(['a1']);
  });

  test('six SlowDown answers (S3_MAX_ATTEMPTS, twice the SDK default) fail the handler with the SDK error name', async () => {
    throttled = 6;
    await expect(manifest.handler({
      manifestBucket: 'lake-artifacts', manifestKey: 'runs/exec-2/manifest.json',
      inputs: [{ bucket: 'lake-raw', prefix: 'churn/' }],
      execution: { id: 'exec-2' },
      run: { training: { TrainingJobName: 't' } },
    })).rejects.toMatchObject({ name: 'SlowDown', message: expect.stringContaining('failed after 6 attempt(s)') });
    expect(manifest.S3_MAX_ATTEMPTS).toBe(6);
    expect(requests).toHaveLength(6);
  });
});
