/**
 * Synthesizes fleets of the reference model (bench/fixtures/scale-app.ts) for the tests of a fleet's
 * limits (test/model-fleet-scale.test.ts) and of how it grows (test/model-fleet-growth.test.ts).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { ROOT } from './app';
import { addScaleModels, scaleFleet } from '../../bench/fixtures/scale-app';

const ENV = { account: '123456789012', region: 'us-east-1' };
const CONTEXT = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context;

export interface Synthesized {
  readonly outdir: string;
  /** Template text by stack name. */
  readonly templates: Map<string, string>;
  /** Template file by stack name. */
  readonly files: Map<string, string>;
  /** Stack names whose template the CLI deploys from the bootstrap bucket (by S3 URL, so the 1 MB quota applies, not 51,200 bytes). */
  readonly viaS3: Set<string>;
}

/** A fleet of `count` models, and `added` more added to it as a user's next commit does. */
export function synthesize(count: number, added = 0): Synthesized {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-fleet-'));
  // Neither the tree nor stack traces in the metadata change a template; both cost seconds at this size.
  const app = new App({ context: CONTEXT, outdir, treeMetadata: false, stackTraces: false });
  addScaleModels(scaleFleet(app, count, ENV), count, count + added);
  return synthesized(outdir, app.synth());
}

/**
 * A fleet of `count` models synthesized by the fixture's app in a node process of its own, as a user's
 * synth runs (`node -r ./test/helpers/swc-register.js`): without jest's module registry and the source
 * maps it applies to every stack trace CDK captures, a 100-model synth takes a third less CPU.
 */
export function synthesizeInNode(count: number): Synthesized {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-fleet-'));
  const result = spawnSync(process.execPath, ['-r', './test/helpers/swc-register.js', 'bench/fixtures/scale-app.ts'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 300_000,
    env: {
      ...process.env,
      BENCH_MODELS: String(count),
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ ...CONTEXT, [cxapi.DISABLE_METADATA_STACK_TRACE]: true }),
      CDK_DEFAULT_ACCOUNT: ENV.account,
      CDK_DEFAULT_REGION: ENV.region,
      SCALE_TREE_METADATA: 'false',
    },
  });
  if (result.status !== 0) throw new Error(`the ${count}-model synth failed (${result.status ?? result.signal}):\n${result.stderr}`);
  return synthesized(outdir, new cxapi.CloudAssembly(outdir));
}

function synthesized(outdir: string, assembly: cxapi.CloudAssembly): Synthesized {
  return {
    outdir,
    templates: new Map(assembly.stacks.map((s) => [s.stackName, fs.readFileSync(path.join(outdir, s.templateFile), 'utf8')])),
    files: new Map(assembly.stacks.map((s) => [s.stackName, path.join(outdir, s.templateFile)])),
    viaS3: new Set(assembly.stacks.filter((s) => s.stackTemplateAssetObjectUrl !== undefined).map((s) => s.stackName)),
  };
}

/** The templates' exports, over every stack. */
export function exportsOf(s: Synthesized): unknown[] {
  return [...s.templates.values()].flatMap((text) => Object.values<{ Export?: unknown }>(JSON.parse(text).Outputs ?? {}).filter((o) => o.Export));
}

/** The shared stack's template without its dashboard's body, and that body. */
export function withoutDashboard(text: string): { template: string; body: string } {
  const template = JSON.parse(text);
  const id = Object.keys(template.Resources).find((k) => template.Resources[k].Type === 'AWS::CloudWatch::Dashboard')!;
  const body = JSON.stringify(template.Resources[id].Properties.DashboardBody);
  delete template.Resources[id].Properties.DashboardBody;
  return { template: JSON.stringify(template), body };
}
