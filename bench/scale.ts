/**
 * Synth growth with the number of models in one stack (bench/fixtures/scale-app.ts): time and
 * memory of a synth in a fresh node process against the lake alone, resources and template bytes
 * per model, and where CloudFormation's per-stack quotas are reached.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Case, envRounds, machine, measure, mb, ms, paired, ROOT, rounds, table, writeResult, x } from './lib/measure';

const COUNTS = (process.env.BENCH_MODELS ?? '0,1,10,50,100').split(',').map(Number);
/** CloudFormation's per-stack quotas (AWS CloudFormation User Guide, "Understand CloudFormation quotas"); 1 MB as aws-cdk-lib counts it (TEMPLATE_BODY_MAXIMUM_SIZE). */
const QUOTAS = { resources: 500, templateBytes: 1_000_000, parameters: 200, outputs: 200 };
const CONTEXT = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).context;

interface Shape {
  readonly resources: number;
  readonly bytes: number;
  readonly compactBytes: number;
  readonly definitionBytes: number;
  readonly parameters: number;
  readonly outputs: number;
  readonly functions: number;
  /** Compact bytes per resource type (the state machines' definitions separately). */
  readonly byType: Map<string, number>;
}

function shapeOf(outdir: string, models: number): Shape {
  const text = fs.readFileSync(path.join(outdir, `Scale${models}.template.json`), 'utf8');
  const template = JSON.parse(text);
  const resources = Object.values<{ Type: string; Properties?: Record<string, unknown> }>(template.Resources ?? {});
  const definitions = resources.filter((r) => r.Type === 'AWS::StepFunctions::StateMachine')
    .map((r) => JSON.stringify(r.Properties?.DefinitionString ?? r.Properties?.Definition ?? '').length);
  return {
    resources: resources.length,
    bytes: Buffer.byteLength(text),
    compactBytes: Buffer.byteLength(JSON.stringify(template)),
    definitionBytes: definitions.reduce((a, b) => a + b, 0),
    parameters: Object.keys(template.Parameters ?? {}).length,
    outputs: Object.keys(template.Outputs ?? {}).length,
    functions: resources.filter((r) => r.Type === 'AWS::Lambda::Function').length,
    byType: resources.reduce((map, r) => {
      const definition = r.Type === 'AWS::StepFunctions::StateMachine' ? JSON.stringify(r.Properties?.DefinitionString ?? '').length : 0;
      map.set(r.Type, (map.get(r.Type) ?? 0) + JSON.stringify(r).length - definition);
      if (definition) map.set('(state machine definitions)', (map.get('(state machine definitions)') ?? 0) + definition);
      return map;
    }, new Map<string, number>()),
  };
}

export function benchScale(): void {
  const count = envRounds(3);
  const shapes = new Map<number, Shape>();
  const cases: Case[] = COUNTS.map((models) => ({
    name: String(models),
    run: () => {
      const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-bench-scale-'));
      try {
        const sample = measure('node -r ./test/helpers/swc-register.js bench/fixtures/scale-app.ts', {
          env: {
            BENCH_MODELS: String(models),
            CDK_OUTDIR: outdir,
            CDK_VALIDATION: 'false',
            CDK_CONTEXT_JSON: JSON.stringify({ ...CONTEXT, '@aws-cdk/core:stackResourceLimit': 0 }),
          },
        });
        shapes.set(models, shapeOf(outdir, models));
        return sample;
      } finally {
        fs.rmSync(outdir, { recursive: true, force: true });
      }
    },
  }));
  const samples = rounds(count, cases, (line) => process.stderr.write(`scale ${line}\n`));
  const base = shapes.get(0);
  if (!base) throw new Error('BENCH_MODELS must include 0, the baseline');
  const perModel = (models: number, key: Exclude<keyof Shape, 'byType'>) => (shapes.get(models)![key] - base[key]) / models;
  const largest = Math.max(...COUNTS);

  const rows = COUNTS.map((models) => {
    const s = shapes.get(models)!;
    const p = paired(samples.get(String(models))!, samples.get('0')!);
    const each = models === 0 ? ['', '', '', ''] : [
      perModel(models, 'resources').toFixed(1),
      `${(perModel(models, 'bytes') / 1024).toFixed(1)} KB`,
      `${(perModel(models, 'compactBytes') / 1024).toFixed(1)} KB`,
      `${((100 * perModel(models, 'definitionBytes')) / perModel(models, 'bytes')).toFixed(0)}%`,
    ];
    return [models, s.resources, `${(s.bytes / 1024).toFixed(0)} KB`, s.parameters, s.outputs, s.functions, ...each,
      ms(p.wallMs), x(p.cpuRatio), mb(p.appRssMb), x(p.appRssRatio)];
  });
  const perResources = perModel(largest, 'resources');
  const perBytes = perModel(largest, 'bytes');
  const perCompact = perModel(largest, 'compactBytes');
  const fit = (limit: number, start: number, each: number) => (each > 0 ? String(Math.floor((limit - start) / each)) : 'no limit (none per model)');
  const quotaRows = [
    ['resources', QUOTAS.resources, perResources.toFixed(1), fit(QUOTAS.resources, base.resources, perResources)],
    ['template bytes, as synthesized (cdk.json context)', '1 MB (S3)', `${(perBytes / 1024).toFixed(1)} KB`, fit(QUOTAS.templateBytes, base.bytes, perBytes)],
    ['template bytes, compact JSON', '1 MB (S3)', `${(perCompact / 1024).toFixed(1)} KB`, fit(QUOTAS.templateBytes, base.compactBytes, perCompact)],
    ['parameters', QUOTAS.parameters, perModel(largest, 'parameters').toFixed(1), fit(QUOTAS.parameters, base.parameters, perModel(largest, 'parameters'))],
    ['outputs', QUOTAS.outputs, perModel(largest, 'outputs').toFixed(1), fit(QUOTAS.outputs, base.outputs, perModel(largest, 'outputs'))],
  ];

  const top = shapes.get(largest)!;
  const typeRows = [...top.byType.entries()]
    .map(([type, bytes]) => [type, (bytes - (base.byType.get(type) ?? 0)) / largest] as const)
    .filter(([, bytes]) => bytes > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([type, bytes]) => [type, `${(bytes / 1024).toFixed(1)} KB`, `${((100 * bytes) / perCompact).toFixed(0)}%`]);

  writeResult('scale', `## Synth growth with the number of models

\`npm run bench:scale\`: bench/fixtures/scale-app.ts, one stack with one DataLake and N copies of the reference stack's model (ModelRegistry + ModelVersionParameter + ModelEndpoint + TrainingPipeline), synthesized in a fresh node process (\`node -r ./test/helpers/swc-register.js\`, CDK's validator off, CDK's 500-resource check off so the count can pass it); medians of ${count} paired rounds, ratios against N = 0 (the lake alone) in the same round. Per-model figures are (N - 0) / N. ${machine()}.

${table(['models', 'resources', 'template', 'parameters', 'outputs', 'Lambda functions', 'resources per model', 'bytes per model', 'bytes per model, no indent', 'state machine definitions', 'synth wall', 'CPU ratio', 'app peak', 'memory ratio'], rows)}

Where one stack reaches CloudFormation's quotas, at the per-model cost of N = ${largest}:

${table(['quota', 'limit', 'per model', 'models that fit'], quotaRows)}

Where a model's bytes go (compact JSON per resource type, per model, at N = ${largest}; the largest 15):

${table(['resource type', 'bytes per model', 'share'], typeRows)}
`);
}

if (require.main === module) benchScale();
