/** The app command's TypeScript hook (cdk.json): stack frames name the TypeScript source, and its compile cache is reused and refreshed. */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const HOOK = path.join(ROOT, 'test', 'helpers', 'swc-register.js');

/** Runs `source` (TypeScript) as `name` under the hook with its own cache folder; returns stdout. */
function run(dir: string, source: string, name = 'app.ts'): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, source);
  const result = spawnSync(process.execPath, ['-r', HOOK, file], {
    encoding: 'utf8', cwd: ROOT, env: { ...process.env, SWC_REGISTER_CACHE: path.join(dir, 'cache') }, timeout: 60_000,
  });
  if (result.status !== 0) throw new Error(`${result.error?.message ?? ''}${result.stderr}`);
  return result.stdout;
}

describe('swc-register', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-swc-register-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const THROWS = [
    'interface Props { readonly n: number }',
    'class Thing {',
    '  constructor(props: Props) {',
    '    if (props.n > 0) throw new Error(`bad n ${props.n}`);',
    '  }',
    '}',
    'const make = (n: number): Thing => new Thing({ n });',
    'try { make(1); } catch (e) { console.log((e as Error).stack); }',
    '',
  ].join('\n');

  test('stack frames name the TypeScript file, line, column and function, as node writes them', () => {
    const lines = run(dir, THROWS).split('\n');
    const file = path.join(dir, 'app.ts');
    expect(lines.slice(0, 3)).toEqual([
      'Error: bad n 1',
      `    at new Thing (${file}:4:28)`,
      `    at make (${file}:7:36)`,
    ]);
  });

  test('a second run reads the compiled file from the cache and does not load swc', () => {
    const probe = `${THROWS}const path = require('path'); console.log('swc loaded: ' + Object.keys(require.cache).some((m) => m.endsWith(path.join('@swc', 'core', 'index.js'))));\n`;
    expect(run(dir, probe)).toContain('swc loaded: true');
    expect(fs.readdirSync(path.join(dir, 'cache'))).toHaveLength(1);
    const second = run(dir, probe);
    expect(second).toContain('swc loaded: false');
    expect(second).toContain(`at new Thing (${path.join(dir, 'app.ts')}:4:28)`);
  });

  test('a changed file is compiled again', () => {
    run(dir, 'console.log("one");\n');
    expect(run(dir, 'console.log("two");\n')).toBe('two\n');
    expect(fs.readdirSync(path.join(dir, 'cache'))).toHaveLength(2);
  });

  test('the same source at another path is compiled again, so its frames name that path', () => {
    run(dir, THROWS, path.join('a', 'app.ts'));
    const second = run(dir, THROWS, path.join('b', 'app.ts'));
    expect(second).toContain(`at new Thing (${path.join(dir, 'b', 'app.ts')}:4:28)`);
    expect(fs.readdirSync(path.join(dir, 'cache'))).toHaveLength(2);
  });

  test('frames outside compiled files are left as V8 writes them', () => {
    const out = run(dir, 'try { require("fs").readFileSync("/nonexistent/x"); } catch (e) { console.log((e as Error).stack); }\n');
    expect(out).toMatch(/\n {4}at Object\.readFileSync \(node:fs:\d+:\d+\)\n/);
  });
});
