/** eslint passes on every source folder (test/helpers/gates.ts). */
import { run, SLOW } from './helpers/gates';

describe('source hygiene', () => {
  test('eslint passes (including the ban on literal arn:aws: partitions)', () => {
    const lint = run('npx', ['eslint', '--no-error-on-unmatched-pattern', 'lib', 'bin', 'lambda', 'test', 'examples', 'scripts', 'bench']);
    expect({ status: lint.status, findings: lint.output.trim() }).toEqual({ status: 0, findings: '' });
  }, SLOW);
});
