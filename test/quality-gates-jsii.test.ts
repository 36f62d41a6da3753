/** jsii accepts the public API, so that every jsii language can use it, and every README example compiles against it. */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT } from './helpers/app';
import { CACHE, compiledProject, copyOfCompiled, runTool, SLOW } from './helpers/gates';

/**
 * rosetta's tablet of translated README snippets, kept between runs like eslint's and tsc's caches:
 * rosetta reuses a snippet's translation only while its source and the fingerprints of the types it
 * uses are unchanged, and compiles the rest. Its key knows neither the fixture nor the dependencies,
 * so the tablet is kept per fixture and package-lock.json: a change to either compiles every snippet.
 */
function rosettaTablet(): string {
  const hash = crypto.createHash('sha256');
  for (const file of ['rosetta/default.ts-fixture', 'package-lock.json']) hash.update(fs.readFileSync(path.join(ROOT, file)));
  return path.join(CACHE, `rosetta-${hash.digest('hex').slice(0, 16)}.tabl.json`);
}

describe('jsii', () => {
  test('compiles the public API into a .jsii assembly, and the README examples against it', async () => {
    // `jsii --fail-on-warnings` (npm run compile) on a copy of the project, shared with test/package.test.ts.
    const compile = await compiledProject();
    if (compile.status !== 0) throw new Error(`jsii rejected the public API:\n${compile.output}`);
    const project = copyOfCompiled(compile, 'cdk-mlops-jsii-gate-');
    const assembly = JSON.parse(fs.readFileSync(path.join(project, '.jsii'), 'utf8'));
    expect(Object.keys(assembly.types)).toEqual(expect.arrayContaining(['cdk-mlops.DataLake', 'cdk-mlops.IDataLake', 'cdk-mlops.DataZone']));
    expect(Object.keys(assembly.targets)).toEqual(expect.arrayContaining(['python', 'java', 'dotnet', 'go']));

    // Every README example compiles against the assembly (with rosetta/default.ts-fixture), so it translates to every language.
    const tablet = rosettaTablet();
    if (fs.existsSync(tablet)) fs.copyFileSync(tablet, path.join(project, '.jsii.tabl.json'));
    const rosetta = runTool('jsii-rosetta', ['extract', '--strict', '.jsii'], project);
    if (rosetta.status !== 0) throw new Error(`a README example does not compile:\n${rosetta.output}`);
    fs.mkdirSync(CACHE, { recursive: true });
    for (const old of fs.readdirSync(CACHE).filter((f) => /^rosetta-.*\.tabl\.json$/.test(f))) fs.rmSync(path.join(CACHE, old));
    fs.copyFileSync(path.join(project, '.jsii.tabl.json'), `${tablet}.${process.pid}`);
    fs.renameSync(`${tablet}.${process.pid}`, tablet);

    // API.md is what jsii-docgen makes of this assembly (the build writes it): a changed API needs `npm run build`.
    const generated = path.join(project, 'API.generated.md');
    const docgen = runTool('jsii-docgen', ['-o', generated], project);
    if (docgen.status !== 0) throw new Error(`jsii-docgen failed:\n${docgen.output}`);
    const current = fs.readFileSync(path.join(ROOT, 'API.md'), 'utf8') === fs.readFileSync(generated, 'utf8');
    expect({ apiMdIsCurrent: current, fix: current ? '' : 'run npm run build and commit API.md' }).toEqual({ apiMdIsCurrent: true, fix: '' });
  }, 2 * SLOW);
});
