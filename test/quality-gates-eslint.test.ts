/** eslint passes on every source folder (test/helpers/gates.ts). */
import * as path from 'path';
import { CACHE, runTool, SLOW } from './helpers/gates';

describe('source hygiene', () => {
  test('eslint passes (including the ban on literal arn:aws: partitions)', () => {
    // No rule reads type information, so each file's result depends only on its content and the config.
    const cache = ['--cache', '--cache-strategy', 'content', '--cache-location', `${path.join(CACHE, 'eslint')}${path.sep}`];
    const lint = runTool('eslint', ['--no-error-on-unmatched-pattern', ...cache, 'lib', 'bin', 'lambda', 'cli', 'test', 'examples', 'scripts', 'bench', 'local']);
    expect({ status: lint.status, findings: lint.output.trim() }).toEqual({ status: 0, findings: '' });
  }, SLOW);
});
