/**
 * The layout of lib/ (docs/ARCHITECTURE.md): one folder per lifecycle stage, imports pointing
 * down the stage order only, private helpers private to their stage (core's are shared), and
 * index files that only re-export.
 */
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from './helpers/app';

const LIB = path.join(ROOT, 'lib');
/** Lowest first: a stage may import from itself and the stages before it. */
const STAGES = ['core', 'lake', 'registry', 'serving', 'training', 'monitoring'];
/** Files directly in lib/ (MlPipeline, ModelFleet) and their helpers in lib/private/ sit above every stage. */
const TOP = STAGES.length;
/** The top level's own helpers: not public, so no index. */
const TOP_PRIVATE = 'private';
/** Private files that another stage may use, with the reason. */
const SHARED_PRIVATE: Record<string, string> = {
  'serving/private/deploy-states.ts': 'a training run that deploys its model drives the same rollout as ModelPromotion',
  'serving/private/served-endpoints.ts': 'a pipeline that deploys checks that the endpoints serving its models read where it writes them',
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

/** Relative imports of a file, resolved to paths under lib/ (with `.ts`, or `/index.ts` for folders). */
function relativeImports(file: string, source: string): string[] {
  const specifiers = [...source.matchAll(/(?:from|import)\s+'(\.[^']*)'/g)].map((m) => m[1]);
  return specifiers.map((spec) => {
    const target = path.resolve(path.dirname(file), spec);
    const resolved = fs.existsSync(`${target}.ts`) ? `${target}.ts` : path.join(target, 'index.ts');
    return path.relative(LIB, resolved);
  });
}

function stageOf(libPath: string): number {
  const first = libPath.split(path.sep)[0];
  const rank = STAGES.indexOf(first);
  return rank === -1 ? TOP : rank;
}

function isPrivate(libPath: string): boolean {
  return libPath.split(path.sep).includes('private');
}

/** Every rule the layout breaks, as 'file -> import: why'. */
function layoutViolations(files: Array<{ file: string; imports: string[] }>): string[] {
  const problems: string[] = [];
  for (const { file, imports } of files) {
    for (const target of imports) {
      const from = stageOf(file);
      const to = stageOf(target);
      if (target.startsWith('..')) problems.push(`${file} -> ${target}: imports from outside lib/`);
      else if (to > from) problems.push(`${file} -> ${target}: ${STAGES[from] ?? 'lib'} may not import from the later stage ${STAGES[to] ?? 'lib'}`);
      else if (isPrivate(target) && to !== from && STAGES[to] !== 'core' && !SHARED_PRIVATE[target]) {
        problems.push(`${file} -> ${target}: another stage's private helper; move it to core/private or make it shared on purpose`);
      }
    }
  }
  return problems;
}

const LIB_FILES = sourceFiles(LIB).map((full) => ({
  file: path.relative(LIB, full),
  source: fs.readFileSync(full, 'utf8'),
  imports: relativeImports(full, fs.readFileSync(full, 'utf8')),
}));

describe('lib/ layout', () => {
  test('has one folder per lifecycle stage, each with its index, and the top level\'s private helpers', () => {
    const folders = fs.readdirSync(LIB, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(folders.filter((f) => !STAGES.includes(f) && f !== TOP_PRIVATE)).toEqual([]);
    for (const folder of folders.filter((f) => f !== TOP_PRIVATE)) expect(fs.existsSync(path.join(LIB, folder, 'index.ts'))).toBe(true);
    expect(fs.existsSync(path.join(LIB, TOP_PRIVATE, 'index.ts'))).toBe(false);
  });

  test('imports point down the stage order, and private helpers stay in their stage', () => {
    expect(layoutViolations(LIB_FILES)).toEqual([]);
  });

  test('index files only re-export', () => {
    const indexes = LIB_FILES.filter(({ file }) => path.basename(file) === 'index.ts');
    expect(indexes.length).toBeGreaterThan(1);
    for (const { file, source } of indexes) {
      const statements = source.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('//'));
      expect({ file, statements: statements.filter((l) => !/^export \* from '\.[^']*';$/.test(l)) }).toEqual({ file, statements: [] });
    }
  });

  test('every non-private file is exported by its folder index', () => {
    const exported = new Set(LIB_FILES.filter(({ file }) => path.basename(file) === 'index.ts').flatMap(({ imports }) => imports));
    const publicFiles = LIB_FILES.map(({ file }) => file).filter((file) => !isPrivate(file) && path.basename(file) !== 'index.ts');
    expect(publicFiles.filter((file) => !exported.has(file))).toEqual([]);
  });
});

describe('the layout check itself', () => {
  test('finds an import up the stage order', () => {
    expect(layoutViolations([{ file: 'lake/data-lake.ts', imports: ['serving/model-endpoint.ts'] }]))
      .toEqual(['lake/data-lake.ts -> serving/model-endpoint.ts: lake may not import from the later stage serving']);
  });

  test('finds a stage using another stage\'s private helper, but not core\'s or a shared one', () => {
    expect(layoutViolations([
      { file: 'training/training-pipeline.ts', imports: ['serving/private/endpoint-role.ts', 'core/private/nag.ts', 'serving/private/deploy-states.ts'] },
    ])).toEqual(['training/training-pipeline.ts -> serving/private/endpoint-role.ts: another stage\'s private helper; move it to core/private or make it shared on purpose']);
  });

  test('lets the top-level construct use every stage, and no stage use it', () => {
    expect(layoutViolations([{ file: 'ml-pipeline.ts', imports: ['monitoring/index.ts', 'training/index.ts'] }])).toEqual([]);
    expect(layoutViolations([{ file: 'monitoring/drift.ts', imports: ['ml-pipeline.ts'] }])).toHaveLength(1);
  });

  test('lets top-level files use lib/private/, and no stage use it', () => {
    expect(layoutViolations([{ file: 'model-fleet.ts', imports: ['private/fleet-stacks.ts', 'ml-pipeline.ts'] }])).toEqual([]);
    expect(layoutViolations([{ file: 'serving/model-endpoint.ts', imports: ['private/fleet-stacks.ts'] }]))
      .toEqual(['serving/model-endpoint.ts -> private/fleet-stacks.ts: serving may not import from the later stage lib']);
  });
});
