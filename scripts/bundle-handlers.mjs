// Bundles each Lambda handler lambda/<name>/index.ts into assets/lambda/<name>/index.js, so that
// consumers of the package synthesize without esbuild or Docker. Runs at `npm ci` (prepare) and `npm run build`.
import { build } from 'esbuild';
import { existsSync, readdirSync } from 'node:fs';
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
console.log(`bundled ${handlers.length} handler(s): ${handlers.join(', ') || 'none'}`);
