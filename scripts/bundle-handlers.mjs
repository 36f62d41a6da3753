// Bundles each Lambda handler lambda/<name>/index.ts into assets/lambda/<name>/index.js, so that
// consumers of the package synthesize without esbuild or Docker, and the `mlops` CLI (cli/mlops.ts,
// with its argument parser) into assets/cli/mlops.js, the package's `bin`.
// Runs at `npm ci` (prepare) and `npm run build`.
import { build } from 'esbuild';
import { chmodSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const handlers = readdirSync(join(root, 'lambda'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(root, 'lambda', entry.name, 'index.ts')))
  .map((entry) => entry.name);

await Promise.all(handlers.map((name) => build({
  entryPoints: [join(root, 'lambda', name, 'index.ts')],
  outfile: join(root, 'assets', 'lambda', name, 'index.js'),
  bundle: true,
  minify: true,
  sourcemap: false,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  // The Node.js 22 Lambda runtime ships AWS SDK v3; bundling it would only grow the asset.
  external: ['@aws-sdk/*'],
  // Always the same tsconfig: otherwise the output (and the asset hash in every template) depends
  // on whether jsii has written its tsconfig.json yet.
  tsconfig: join(root, 'tsconfig.dev.json'),
  logLevel: 'warning',
})));

// The CLI runs on the user's Node.js (the package supports 20 and later), not in Lambda.
const cli = join(root, 'assets', 'cli', 'mlops.js');
await build({
  entryPoints: [join(root, 'cli', 'mlops.ts')],
  outfile: cli,
  bundle: true,
  minify: true,
  sourcemap: false,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  banner: { js: '#!/usr/bin/env node' },
  tsconfig: join(root, 'tsconfig.dev.json'),
  logLevel: 'warning',
});
chmodSync(cli, 0o755);
console.log(`bundled ${handlers.length} handler(s): ${handlers.join(', ') || 'none'}; and the mlops CLI`);
