/**
 * 100 models in one app (the reference model of bench/fixtures/scale-app.ts, in a ModelFleet):
 * every template stays under every CloudFormation quota, with the margins in the messages; the 100
 * model templates are one template up to the model's number, and cfn-lint passes on it (the first
 * and the last model, whose names are longest) and on the shared stack, in one process that runs
 * while a smaller fleet synthesizes. (cfn-lint takes about a second a template: linting 100 copies
 * of one template would add 100 s and check nothing more.) A model's template is the same in the
 * fleet of 100 as in a fleet of 4, so it does not depend on the fleet's size (the 100 are synthesized
 * by the fixture's app in a node process, the 4 in jest: the same template both ways); adding a model
 * to a fleet is test/model-fleet-growth.test.ts.
 */
import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import { ROOT } from './helpers/app';
import { exportsOf, Synthesized, synthesize, synthesizeInNode, withoutDashboard } from './helpers/fleet-synth';
import { expectCfnLintInstalled } from './helpers/gates';

const MODELS = 100;
/** CloudFormation's per-stack quotas (User Guide, "Understand CloudFormation quotas"); 1 MB as aws-cdk-lib counts it. */
const QUOTAS = { resources: 500, templateBytes: 1_000_000, parameters: 200, outputs: 200, mappings: 200, descriptionBytes: 1024, stackNameLength: 128 };
const SLOW = 600_000;

/** cfn-lint over every template, as one process started now; resolves with its exit status and output. */
function lint(templates: string[]): { child: ChildProcess; done: Promise<{ status: number | null; output: string }> } {
  const child = spawn('cfn-lint', ['--format', 'parseable', ...templates], { cwd: ROOT });
  let output = '';
  child.stdout!.on('data', (d) => { output += d; });
  child.stderr!.on('data', (d) => { output += d; });
  return { child, done: new Promise((resolve) => child.on('close', (status) => resolve({ status, output: output.trim() }))) };
}

let hundred: Synthesized;
let four: Synthesized;
let linted: ReturnType<typeof lint>;

beforeAll(() => {
  expectCfnLintInstalled();
  hundred = synthesizeInNode(MODELS);
  const sampled = ['Scale-Shared', 'Scale-Model0', `Scale-Model${MODELS - 1}`];
  linted = lint(sampled.map((name) => hundred.files.get(name)!));
  four = synthesize(4);
}, SLOW);

afterAll(async () => {
  if (linted && linted.child.exitCode === null) linted.child.kill();
  for (const s of [hundred, four]) if (s) fs.rmSync(s.outdir, { recursive: true, force: true });
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
    expect(exportsOf(four)).toHaveLength(6);
    expect(exportsOf(hundred)).toHaveLength(6);
  });

  test('a model\'s template does not depend on the fleet\'s size: model 3 is the same in a fleet of 4', () => {
    expect(hundred.templates.get('Scale-Model3')).toBe(four.templates.get('Scale-Model3'));
  });

  test('every model has its tile on the shared stack\'s overview dashboard', () => {
    const body = withoutDashboard(hundred.templates.get('Scale-Shared')!).body;
    for (let i = 0; i < MODELS; i++) expect(body).toContain(`\\"title\\":\\"model${i}\\"`);
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
