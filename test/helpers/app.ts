import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';

export const ROOT = path.resolve(__dirname, '..', '..');

/** The feature flags of cdk.json, so tests synthesize what `cdk synth` would. */
const CONTEXT = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context;

/** An app that writes its cloud assembly to a fresh temporary folder. */
export function testApp(): App {
  return new App({ context: CONTEXT, outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-test-')) });
}

/** A stack in a fixed account and region, in a fresh test app. */
export function testStack(id = 'TestStack'): Stack {
  return new Stack(testApp(), id, { env: { account: '123456789012', region: 'us-east-1' } });
}

export function templateOf(stack: Stack): Template {
  return Template.fromStack(stack);
}
