/** jsii accepts the public API, so that every jsii language can use it, and every README example compiles against it. */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ROOT } from './helpers/app';
import { run, SLOW } from './helpers/gates';

describe('jsii', () => {
  test('compiles the public API into a .jsii assembly, and the README examples against it', () => {
    const compile = run('npx', ['jsii', '--fail-on-warnings']);
    if (compile.status !== 0) throw new Error(`jsii rejected the public API:\n${compile.output}`);
    const assembly = JSON.parse(fs.readFileSync(path.join(ROOT, '.jsii'), 'utf8'));
    expect(Object.keys(assembly.types)).toEqual(expect.arrayContaining(['cdk-mlops.DataLake', 'cdk-mlops.IDataLake', 'cdk-mlops.DataZone']));
    expect(Object.keys(assembly.targets)).toEqual(expect.arrayContaining(['python', 'java', 'dotnet', 'go']));

    // Every README example compiles against the assembly (with rosetta/default.ts-fixture), so it translates to every language.
    const rosetta = run('npx', ['jsii-rosetta', 'extract', '--strict', '.jsii']);
    if (rosetta.status !== 0) throw new Error(`a README example does not compile:\n${rosetta.output}`);

    // API.md is what jsii-docgen makes of this assembly (the build writes it): a changed API needs `npm run build`.
    const generated = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-docgen-')), 'API.md');
    const docgen = run('npx', ['jsii-docgen', '-o', generated]);
    if (docgen.status !== 0) throw new Error(`jsii-docgen failed:\n${docgen.output}`);
    const current = fs.readFileSync(path.join(ROOT, 'API.md'), 'utf8') === fs.readFileSync(generated, 'utf8');
    expect({ apiMdIsCurrent: current, fix: current ? '' : 'run npm run build and commit API.md' }).toEqual({ apiMdIsCurrent: true, fix: '' });
  }, SLOW);
});
