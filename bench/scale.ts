/**
 * Synth growth with the number of models (bench/fixtures/scale-app.ts: a ModelFleet, one stack per
 * model beside a shared stack): time and memory of a synth in a fresh node process against one
 * model, resources and template bytes per added model, the largest stack against CloudFormation's
 * per-stack quotas, and where a model's bytes go.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Case, envRounds, machine, mb, measure, ms, paired, ROOT, rounds, table, writeResult, x } from './lib/measure';

const COUNTS = (process.env.BENCH_MODELS ?? '1,10,50,100').split(',').map(Number);
/** CloudFormation's per-stack quotas (AWS CloudFormation User Guide, "Understand CloudFormation quotas"); 1 MB as aws-cdk-lib counts it (TEMPLATE_BODY_MAXIMUM_SIZE). */
const QUOTAS = { resources: 500, templateBytes: 1_000_000, parameters: 200, outputs: 200 };
/** Issue 13's target for the template bytes one more model adds. */
const TARGET_BYTES_PER_MODEL = 25 * 1024;
const CONTEXT = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context;

interface StackShape {
  readonly resources: number;
  readonly bytes: number;
  readonly parameters: number;
  readonly outputs: number;
}

interface Shape {
  readonly stacks: number;
  /** Summed over every stack of the app. */
  readonly total: StackShape;
  /** The largest value of each over the stacks. */
  readonly largest: StackShape;
  readonly exports: number;
  /** Compact bytes per resource type of one model stack (state machine definitions apart, by state machine). */
  readonly modelBytes: Map<string, number>;
  readonly modelStackBytes: number;
}

function stackShape(template: any, text: string): StackShape {
  return {
    resources: Object.keys(template.Resources ?? {}).length,
    bytes: Buffer.byteLength(text),
    parameters: Object.keys(template.Parameters ?? {}).length,
    outputs: Object.keys(template.Outputs ?? {}).length,
  };
}

/** Compact JSON bytes of a model stack per resource type; each state machine's definition on a line of its own. */
function bytesByType(template: any): Map<string, number> {
  const bytes = new Map<string, number>();
  const add = (key: string, n: number) => bytes.set(key, (bytes.get(key) ?? 0) + n);
  for (const [id, resource] of Object.entries<{ Type: string; Properties?: Record<string, unknown> }>(template.Resources ?? {})) {
    const definition = resource.Type === 'AWS::StepFunctions::StateMachine' ? JSON.stringify(resource.Properties?.DefinitionString ?? '').length : 0;
    add(resource.Type, JSON.stringify({ [id]: resource }).length - definition);
    // ModelPipelineStateMachineB457B31F -> the pipeline; the construct path names the others.
    if (definition) add(`definition: ${id.replace(/^Model/, '').replace(/[0-9A-F]{8}$/, '')}`, definition);
  }
  return bytes;
}

function shapeOf(outdir: string): Shape {
  const files = fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
  const stacks = files.map((f) => {
    const text = fs.readFileSync(path.join(outdir, f), 'utf8');
    const template = JSON.parse(text);
    return { file: f, template, shape: stackShape(template, text) };
  });
  const sum = (key: keyof StackShape) => stacks.reduce((a, s) => a + s.shape[key], 0);
  const max = (key: keyof StackShape) => Math.max(...stacks.map((s) => s.shape[key]));
  // The shared stack describes itself as the fleet's; every other one holds a model.
  const model = stacks.find((s) => !String(s.template.Description).startsWith('cdk-mlops model fleet'))!;
  return {
    stacks: stacks.length,
    total: { resources: sum('resources'), bytes: sum('bytes'), parameters: sum('parameters'), outputs: sum('outputs') },
    largest: { resources: max('resources'), bytes: max('bytes'), parameters: max('parameters'), outputs: max('outputs') },
    exports: stacks.reduce((a, s) => a + Object.values<{ Export?: unknown }>(s.template.Outputs ?? {}).filter((o) => o.Export).length, 0),
    modelBytes: bytesByType(model.template),
    modelStackBytes: Buffer.byteLength(JSON.stringify(model.template)),
  };
}

export function benchScale(): void {
  const count = envRounds(3);
  const base = Math.min(...COUNTS);
  if (base !== 1) throw new Error('BENCH_MODELS must include 1, the baseline');
  const shapes = new Map<number, Shape>();
  const cases: Case[] = COUNTS.map((models) => ({
    name: String(models),
    run: () => {
      const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-bench-scale-'));
      try {
        const sample = measure('node -r ./test/helpers/swc-register.js bench/fixtures/scale-app.ts', {
          env: { BENCH_MODELS: String(models), CDK_OUTDIR: outdir, CDK_VALIDATION: 'false', CDK_CONTEXT_JSON: JSON.stringify(CONTEXT) },
        });
        shapes.set(models, shapeOf(outdir));
        return sample;
      } finally {
        fs.rmSync(outdir, { recursive: true, force: true });
      }
    },
  }));
  const samples = rounds(count, cases, (line) => process.stderr.write(`scale ${line}\n`));
  const one = shapes.get(1)!;
  const largest = Math.max(...COUNTS);
  const perAdded = (models: number, key: keyof StackShape) => (shapes.get(models)!.total[key] - one.total[key]) / (models - 1);
  const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

  const rows = COUNTS.map((models) => {
    const s = shapes.get(models)!;
    const p = paired(samples.get(String(models))!, samples.get('1')!);
    const each = models === 1 ? ['', ''] : [perAdded(models, 'resources').toFixed(1), kb(perAdded(models, 'bytes'))];
    return [models, s.stacks, s.total.resources, `${(s.total.bytes / 1024).toFixed(0)} KB`, s.largest.resources, kb(s.largest.bytes), s.exports,
      ...each, ms(p.wallMs), x(p.wallRatio), x(p.cpuRatio), mb(p.appRssMb), x(p.appRssRatio)];
  });

  const top = shapes.get(largest)!;
  const quotaRows = (['resources', 'bytes', 'parameters', 'outputs'] as const).map((key) => {
    const limit = key === 'bytes' ? QUOTAS.templateBytes : QUOTAS[key];
    const value = top.largest[key];
    return [key === 'bytes' ? 'template bytes (1 MB from S3)' : key, key === 'bytes' ? '1 MB' : limit, key === 'bytes' ? kb(value) : value,
      `${(((limit - value) / limit) * 100).toFixed(0)}%`];
  });

  const perModel = perAdded(largest, 'bytes');
  const typeRows = [...top.modelBytes.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([type, bytes]) => [type, kb(bytes), `${((100 * bytes) / top.modelStackBytes).toFixed(0)}%`]);

  writeResult('scale', `## Synth growth with the number of models

\`npm run bench:scale\`: bench/fixtures/scale-app.ts, a ModelFleet of N copies of the reference model (an MlPipeline each: XGBoost on a spot GPU instance behind a metric gate, a canary rollout to an autoscaled GPU endpoint, drift alarms on three features), one stack per model beside a shared stack (lake, topic, overview dashboard), synthesized in a fresh node process (\`node -r ./test/helpers/swc-register.js\`, CDK's validator off); medians of ${count} paired rounds, ratios against N = 1 in the same round. Per added model: (N - 1 model) / (N - 1), summed over every stack. ${machine()}.

${table(['models', 'stacks', 'resources', 'template bytes', 'largest stack: resources', 'largest stack: bytes', 'exports', 'resources per added model', 'bytes per added model', 'synth wall', 'wall ratio', 'CPU ratio', 'app peak', 'memory ratio'], rows)}

The largest stack at N = ${largest} against CloudFormation's per-stack quotas (no stack grows with N but the shared one, by its dashboard):

${table(['quota', 'limit', 'largest stack', 'margin'], quotaRows)}

Where a model's bytes go (compact JSON of one model stack, ${kb(top.modelStackBytes)}; issue 13's target for an added model is ${kb(TARGET_BYTES_PER_MODEL)}, measured ${kb(perModel)}, ${(perModel / TARGET_BYTES_PER_MODEL).toFixed(1)}x the target; the largest 15):

${table(['resource type', 'bytes', 'share'], typeRows)}
`);
}

if (require.main === module) benchScale();
