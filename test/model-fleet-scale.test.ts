/**
 * 100 models in one app (the reference model of bench/fixtures/scale-app.ts, in a ModelFleet):
 * every template stays under every CloudFormation quota, with the margins in the messages; the 100
 * model templates are one template up to the model's number, and cfn-lint passes on it (the first
 * and the last model, whose names are longest) and on the shared stack, in one process that runs
 * while the other apps synthesize. (cfn-lint takes about a second a template: linting 100 copies
 * of one template would add 100 s and check nothing more.) Adding a model to a fleet leaves the
 * other models' templates byte-identical: shown on 10 models and an 11th, since a second synth of
 * 100 costs 30 s, and no model's template depends on how many others there are (the shapes test).
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { addScaleModels, scaleFleet } from '../bench/fixtures/scale-app';
import { ROOT } from './helpers/app';
import { expectCfnLintInstalled } from './helpers/gates';

const ENV = { account: '123456789012', region: 'us-east-1' };
const CONTEXT = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context;
const MODELS = 100;
/** The fleet that gains a model. */
const SMALL = 10;
/** CloudFormation's per-stack quotas (User Guide, "Understand CloudFormation quotas"); 1 MB as aws-cdk-lib counts it. */
const QUOTAS = { resources: 500, templateBytes: 1_000_000, parameters: 200, outputs: 200, mappings: 200, descriptionBytes: 1024, stackNameLength: 128 };
const SLOW = 600_000;

interface Synthesized {
  readonly outdir: string;
  /** Template text by stack name. */
  readonly templates: Map<string, string>;
  /** Template file by stack name. */
  readonly files: Map<string, string>;
  /** Stack names whose template the CLI deploys from the bootstrap bucket (by S3 URL, so the 1 MB quota applies, not 51,200 bytes). */
  readonly viaS3: Set<string>;
}

/** A fleet of `count` models, and `added` more added to it as a user's next commit does. */
function synthesize(count: number, added = 0): Synthesized {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-fleet-'));
  // Neither the tree nor stack traces in the metadata change a template; both cost seconds at this size.
  const app = new App({ context: CONTEXT, outdir, treeMetadata: false, stackTraces: false });
  addScaleModels(scaleFleet(app, count, ENV), count, count + added);
  const assembly = app.synth();
  return {
    outdir,
    templates: new Map(assembly.stacks.map((s) => [s.stackName, fs.readFileSync(path.join(outdir, s.templateFile), 'utf8')])),
    files: new Map(assembly.stacks.map((s) => [s.stackName, path.join(outdir, s.templateFile)])),
    viaS3: new Set(assembly.stacks.filter((s) => s.stackTemplateAssetObjectUrl !== undefined).map((s) => s.stackName)),
  };
}

/** cfn-lint over every template, as one process started now; resolves with its exit status and output. */
function lint(templates: string[]): { child: ChildProcess; done: Promise<{ status: number | null; output: string }> } {
  const child = spawn('cfn-lint', ['--format', 'parseable', ...templates], { cwd: ROOT });
  let output = '';
  child.stdout!.on('data', (d) => { output += d; });
  child.stderr!.on('data', (d) => { output += d; });
  return { child, done: new Promise((resolve) => child.on('close', (status) => resolve({ status, output: output.trim() }))) };
}

let hundred: Synthesized;
let small: Synthesized;
let smallPlusOne: Synthesized;
let linted: ReturnType<typeof lint>;

beforeAll(() => {
  expectCfnLintInstalled();
  hundred = synthesize(MODELS);
  const sampled = ['Scale-Shared', 'Scale-Model0', `Scale-Model${MODELS - 1}`];
  linted = lint(sampled.map((name) => hundred.files.get(name)!));
  small = synthesize(SMALL);
  smallPlusOne = synthesize(SMALL, 1);
}, SLOW);

afterAll(async () => {
  if (linted && linted.child.exitCode === null) linted.child.kill();
  for (const s of [hundred, small, smallPlusOne]) if (s) fs.rmSync(s.outdir, { recursive: true, force: true });
});

describe(`a fleet of ${MODELS} models`, () => {
  test('synthesizes one shared stack and one stack per model', () => {
    expect(hundred.templates.size).toBe(MODELS + 1);
    expect([...hundred.templates.keys()]).toContain('Scale-Shared');
    expect([...hundred.templates.keys()]).toContain(`Scale-Model${MODELS - 1}`);
  });

  const measures: Array<[keyof typeof QUOTAS, (name: string, template: any, text: string) => number]> = [
    ['resources', (_n, t) => Object.keys(t.Resources ?? {}).length],
    ['templateBytes', (_n, _t, text) => Buffer.byteLength(text)],
    ['parameters', (_n, t) => Object.keys(t.Parameters ?? {}).length],
    ['outputs', (_n, t) => Object.keys(t.Outputs ?? {}).length],
    ['mappings', (_n, t) => Object.keys(t.Mappings ?? {}).length],
    ['descriptionBytes', (_n, t) => Buffer.byteLength(t.Description ?? '')],
    ['stackNameLength', (name) => name.length],
  ];
  test.each(measures)('every stack stays under the %s quota', (quota, measure) => {
    const limit = QUOTAS[quota];
    const [stack, value] = [...hundred.templates.entries()]
      .map(([name, text]) => [name, measure(name, JSON.parse(text), text)] as const)
      .reduce((a, b) => (b[1] > a[1] ? b : a));
    const message = `${quota}: the largest is ${value} (${stack}) of CloudFormation's ${limit}, a margin of ${limit - value} (${((100 * (limit - value)) / limit).toFixed(0)}%)`;
    expect({ message, withinQuota: value <= limit }).toEqual({ message, withinQuota: true });
  });

  test('every template is deployed from S3, where the quota is 1 MB (not 51,200 bytes in the request)', () => {
    const large = [...hundred.templates.entries()].filter(([, text]) => Buffer.byteLength(text) > 51_200).map(([name]) => name);
    expect(large.length).toBeGreaterThan(0);
    expect(large.filter((name) => !hundred.viaS3.has(name))).toEqual([]);
  });

  test('the models share a fixed handful of exports: the count does not grow with the models', () => {
    const exportsOf = (s: Synthesized) => [...s.templates.values()]
      .flatMap((text) => Object.values<{ Export?: unknown }>(JSON.parse(text).Outputs ?? {}).filter((o) => o.Export));
    expect(exportsOf(small)).toHaveLength(6);
    expect(exportsOf(smallPlusOne)).toHaveLength(6);
    expect(exportsOf(hundred)).toHaveLength(6);
  });

  test(`adding model ${SMALL + 1} to ${SMALL} leaves the templates of models 1 to ${SMALL} byte-identical`, () => {
    expect(smallPlusOne.templates.size).toBe(SMALL + 2);
    const changed = [...small.templates.entries()]
      .filter(([name]) => name !== 'Scale-Shared')
      .filter(([name, text]) => smallPlusOne.templates.get(name) !== text)
      .map(([name]) => name);
    expect(changed).toEqual([]);
    // The same model in the fleet of 100: its template does not depend on the fleet's size either.
    expect(hundred.templates.get('Scale-Model3')).toBe(small.templates.get('Scale-Model3'));
  });

  test('in the shared stack only the dashboard changes: it gains the new model', () => {
    const withoutDashboard = (text: string) => {
      const template = JSON.parse(text);
      const id = Object.keys(template.Resources).find((k) => template.Resources[k].Type === 'AWS::CloudWatch::Dashboard')!;
      const body = JSON.stringify(template.Resources[id].Properties.DashboardBody);
      delete template.Resources[id].Properties.DashboardBody;
      return { template: JSON.stringify(template), body };
    };
    const before = withoutDashboard(small.templates.get('Scale-Shared')!);
    const after = withoutDashboard(smallPlusOne.templates.get('Scale-Shared')!);
    expect(after.template).toBe(before.template);
    expect(before.body).not.toContain(`model${SMALL}\\"`);
    expect(after.body).toContain(`\\"title\\":\\"model${SMALL}\\"`);
    // Every model of the 100 has its tile on the overview.
    expect(withoutDashboard(hundred.templates.get('Scale-Shared')!).body).toContain(`\\"title\\":\\"model${MODELS - 1}\\"`);
  });

  test('the model templates are one template up to the model\'s number', () => {
    // model7 / Model7 in names, paths and ARNs, and the 8-digit hashes of CDK's generated names
    // (which hash the construct path, and so the model's id): nothing else tells the models apart.
    const models = [...hundred.templates.entries()].filter(([name]) => name !== 'Scale-Shared');
    expect(models).toHaveLength(MODELS);
    const shape = (text: string) => text.replace(/(model)\d+(?!\d)/gi, '$1#').replace(/[0-9A-F]{8}(?![0-9A-Za-z])/g, '<hash>');
    const shapes = new Set(models.map(([, text]) => shape(text)));
    expect(shapes.size).toBe(1);
  });

  test('cfn-lint passes on the shared stack and on the model template (first and last model)', async () => {
    expect(await linted.done).toEqual({ status: 0, output: '' });
  }, SLOW);
});
