/**
 * The handler bundles (scripts/handler-bundle.mjs) write the SDK's schema trait keys as literals, so
 * that esbuild can drop the shapes a handler never uses. The rewrite must be exact where it applies,
 * refuse files where a key's name could mean something else, and still apply to the installed SDK
 * (an upgrade that changes the file's shape must fail here, not quietly grow every bundle).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from './helpers/app';

/** literalSchemaKeys(source) for each source, run in a node process (the script is an ES module). */
function rewrite(sources: string[]): Array<string | null> {
  const script = `import { literalSchemaKeys } from ${JSON.stringify(path.join(ROOT, 'scripts', 'handler-bundle.mjs'))};
import { readFileSync } from 'node:fs';
const sources = JSON.parse(readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(sources.map((s) => literalSchemaKeys(s) ?? null)));`;
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    input: JSON.stringify(sources), encoding: 'utf8', timeout: 30_000,
  }));
}

const KEYS = 'const _hQ = "httpQuery";\nconst _xN = "xmlName";\n';

describe('schema keys of the bundled SDK', () => {
  test('a computed key of a top-level const string becomes that string; other computed keys stay', () => {
    const [out] = rewrite([`${KEYS}export var A$ = [3, n0, _A, { [_xN]: _A }, [_B], [[0, { [_hQ]: _uI, [other]: 1 }]]];\n`]);
    expect(out).toBe(`${KEYS}export var A$ = [3, n0, _A, { "xmlName": _A }, [_B], [[0, { "httpQuery": _uI, [other]: 1 }]]];\n`);
  });

  test.each([
    ['a function', 'function f(_hQ) { return { [_hQ]: 1 }; }'],
    ['an arrow with a parameter', 'export var B$ = (_hQ) => ({ [_hQ]: 1 });'],
    ['an arrow with one bare parameter', 'export var B$ = _hQ => ({ [_hQ]: 1 });'],
    ['an arrow with a body', 'export var B$ = () => { const _hQ = "x"; return { [_hQ]: 1 }; };'],
    ['a nested declaration', 'if (x) {\n  const _hQ = "x";\n  y = { [_hQ]: 1 };\n}'],
    ['a class', 'class C { m() { return { [_hQ]: 1 }; } }'],
    ['a catch clause', 'try { y(); } catch (_hQ) { z = { [_hQ]: 1 }; }'],
    ['a loop', 'for (const _hQ of x) { y = { [_hQ]: 1 }; }'],
    ['a block on one line', '{ const _hQ = "x"; y = { [_hQ]: 1 }; }'],
    ['a method', 'o = { m(_hQ) { return { [_hQ]: 1 }; } };'],
    ['a second declaration of the name', 'const _hQ = "other";\nexport var B$ = [0, { [_hQ]: 1 }];'],
  ])('a file with %s, where a key could be shadowed, is left as it is', (_what, code) => {
    expect(rewrite([`${KEYS}${code}\n`])).toEqual([null]);
  });

  test('code words inside strings do not refuse a file; a key that would set the prototype stays computed', () => {
    const [out] = rewrite([`${KEYS}const _p = "__proto__";\nexport var A$ = [0, { [_hQ]: "function-url", [_p]: "for (const x of y) {}" }];\n`]);
    expect(out).toBe(`${KEYS}const _p = "__proto__";\nexport var A$ = [0, { "httpQuery": "function-url", [_p]: "for (const x of y) {}" }];\n`);
  });

  test('a file with no key to rewrite is left as it is', () => {
    expect(rewrite([`${KEYS}export var A$ = [3, n0, _A, 0, [], []];\n`])).toEqual([null]);
  });

  test('applies to the installed S3 client: no computed key is left in its schemas', () => {
    const file = path.join(ROOT, 'node_modules', '@aws-sdk', 'client-s3', 'dist-es', 'schemas', 'schemas_0.js');
    const source = fs.readFileSync(file, 'utf8');
    expect(source).toMatch(/\{ \[_hQ\]: _[\w$]+ \}/);
    const [out] = rewrite([source]);
    expect(out).not.toBeNull();
    expect(out!.match(/\[_[\w$]+\]:/g)).toBeNull();
    expect(out).toContain('{ "httpQuery": _uI }');
  });

  test('applies to the other clients the mlops CLI bundles', () => {
    const clients = ['cloudformation', 'cloudwatch', 'sagemaker', 'sfn'];
    const sources = clients.map((c) => fs.readFileSync(path.join(ROOT, 'node_modules', '@aws-sdk', `client-${c}`, 'dist-es', 'schemas', 'schemas_0.js'), 'utf8'));
    const outs = rewrite(sources);
    expect(clients.filter((_c, i) => outs[i] === null || /\[_[\w$]+\]:/.test(outs[i]!))).toEqual([]);
  });

  test('the run-manifest bundle keeps the shapes and errors it uses and drops the others', () => {
    const code = fs.readFileSync(path.join(ROOT, 'assets', 'lambda', 'run-manifest', 'index.js'), 'utf8');
    expect(code).toContain('"ListObjectVersionsRequest"');
    expect(code).toContain('"NoSuchBucket"');
    expect(code).not.toContain('PutBucketAnalyticsConfigurationRequest');
    expect(code).not.toContain('SelectObjectContentRequest');
  });
});
