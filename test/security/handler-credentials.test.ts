/**
 * The handler bundles (scripts/handler-bundle.mjs) replace four of the SDK's default credential
 * providers by stubs that pass to the next one. What Lambda can use must stay: the environment
 * (the execution role's keys, read first) and the container provider
 * (AWS_CONTAINER_CREDENTIALS_FULL_URI and its token, what Lambda SnapStart and Lambda Managed
 * Instances hand their functions); the stubs must leave the chain to it.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from '../helpers/app';

const ASSETS = path.join(ROOT, 'assets', 'lambda');
const STUBBED = ['credential-provider-sso', 'credential-provider-ini', 'credential-provider-process', 'credential-provider-web-identity'];

describe('credentials of the bundled handlers', () => {
  test('every bundle stubs the four providers Lambda never reaches and keeps the environment and container providers', () => {
    const handlers = fs.readdirSync(ASSETS).filter((name) => fs.existsSync(path.join(ASSETS, name, 'index.js')));
    expect(handlers.length).toBeGreaterThanOrEqual(6);
    const found = handlers.map((name) => {
      const code = fs.readFileSync(path.join(ASSETS, name, 'index.js'), 'utf8');
      return {
        name,
        stubbed: STUBBED.filter((p) => code.includes(`@aws-sdk/${p} is not bundled into this Lambda handler`)),
        environment: code.includes('AWS_SECRET_ACCESS_KEY'),
        container: code.includes('AWS_CONTAINER_CREDENTIALS_FULL_URI') && code.includes('AWS_CONTAINER_AUTHORIZATION_TOKEN'),
        // STS comes only with the web identity and ini providers: its absence shows they are not bundled.
        sts: code.includes('AssumeRoleWithWebIdentity'),
      };
    });
    expect(found).toEqual(handlers.map((name) => ({ name, stubbed: STUBBED, environment: true, container: true, sts: false })));
  });

  test('without keys in the environment, a bundle signs its S3 calls with the container provider\'s credentials', async () => {
    // GIVEN a container credentials endpoint and an S3 endpoint that records who signed
    const seen: { credentialsToken?: string; authorization?: string } = {};
    const server = http.createServer((req, res) => {
      if (req.url === '/credentials') {
        seen.credentialsToken = String(req.headers.authorization);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({
          AccessKeyId: 'ASIACONTAINERKEY', SecretAccessKey: 'secret', Token: 'session',
          Expiration: new Date(Date.now() + 3_600_000).toISOString(),
        }));
        return;
      }
      seen.authorization ??= String(req.headers.authorization);
      res.statusCode = 403;
      res.setHeader('content-type', 'application/xml');
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>test</Message></Error>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-credentials-'));
    try {
      // WHEN drift-partial reads its baseline with only the container provider configured (no ~/.aws, no IMDS)
      const item = {
        batchIndex: 0, bucket: 'capture', keys: ['a.jsonl'], window: { start: '2026-01-01T00:00:00Z', end: '2026-01-01T01:00:00Z' },
        endpointName: 'e', variantName: 'v', partials: { bucket: 'work', prefix: 'p/' }, baseline: { bucket: 'work', key: 'baseline.json' },
      };
      const script = 'require(process.argv[1]).handler(JSON.parse(process.argv[2])).catch((e) => { process.stdout.write(e.name); })';
      const stdout = await new Promise<string>((resolve, reject) => execFile(process.execPath,
        ['-e', script, path.join(ASSETS, 'drift-partial', 'index.js'), JSON.stringify(item)], {
          timeout: 30_000,
          env: {
            PATH: process.env.PATH, HOME: home, AWS_REGION: 'us-east-1', AWS_ENDPOINT_URL_S3: endpoint, AWS_MAX_ATTEMPTS: '1',
            AWS_CONTAINER_CREDENTIALS_FULL_URI: `${endpoint}/credentials`, AWS_CONTAINER_AUTHORIZATION_TOKEN: 'container-token',
            AWS_EC2_METADATA_DISABLED: 'true',
          },
        }, (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out))));

      // THEN the chain passed the stubs, fetched the container's credentials with its token, and signed with them
      expect(stdout).toBe('AccessDenied');
      expect(seen.credentialsToken).toBe('container-token');
      expect(seen.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIACONTAINERKEY\//);
    } finally {
      server.close();
      fs.rmSync(home, { recursive: true, force: true });
    }
  }, 60_000);
});
