/** TypeScript type-checks everything swc and tsx run without checking (test/helpers/gates.ts). */
import { run, SLOW } from './helpers/gates';

describe('source hygiene', () => {
  test('TypeScript type-checks the library, app, handlers, tests, examples and benchmarks', () => {
    const typecheck = run('npx', ['tsc', '-p', 'tsconfig.dev.json']);
    expect({ status: typecheck.status, errors: typecheck.output.trim() }).toEqual({ status: 0, errors: '' });
  }, SLOW);
});
