/** TypeScript type-checks everything swc and tsx run without checking (test/helpers/gates.ts). */
import * as path from 'path';
import { CACHE, runTool, SLOW } from './helpers/gates';

describe('source hygiene', () => {
  test('TypeScript type-checks the library, app, handlers, tests, examples and benchmarks', () => {
    const incremental = ['--incremental', '--tsBuildInfoFile', path.join(CACHE, 'typecheck.tsbuildinfo')];
    const typecheck = runTool('typescript', ['-p', 'tsconfig.dev.json', ...incremental], undefined, 'tsc');
    expect({ status: typecheck.status, errors: typecheck.output.trim() }).toEqual({ status: 0, errors: '' });
  }, SLOW);
});
