// Bundles each Lambda handler lambda/<name>/index.ts into assets/lambda/<name>/index.js (how:
// scripts/handler-bundle.mjs), so that consumers of the package synthesize without esbuild or Docker,
// and the `mlops` CLI (cli/mlops.ts, with its argument parser, terminal UI and AWS SDK clients) into
// assets/cli/mlops.js, the package's `bin`.
// Runs at `npm ci` (prepare) and `npm run build`.
import { build } from 'esbuild';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { handlerBuildOptions, treeShakableSchemas } from './handler-bundle.mjs';

const root = new URL('..', import.meta.url).pathname;
const handlers = readdirSync(join(root, 'lambda'), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(root, 'lambda', entry.name, 'index.ts')))
  .map((entry) => entry.name);

await Promise.all(handlers.map((name) => build(handlerBuildOptions(
  join(root, 'lambda', name, 'index.ts'), join(root, 'assets', 'lambda', name, 'index.js'), join(root, 'tsconfig.dev.json')))));

// Node's own modules as `node:` imports, so the bundle plainly needs nothing but Node.js.
const nodePrefix = {
  name: 'node-prefix',
  setup(b) {
    const builtins = new Set(builtinModules);
    b.onResolve({ filter: /^[a-z_/]+$/ }, (args) => (builtins.has(args.path) ? { path: `node:${args.path}`, external: true } : undefined));
  },
};

// The CLI runs on the user's Node.js (the package supports 20 and later), not in Lambda: it
// bundles its AWS SDK clients, since an installed package has no dev dependencies.
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
  plugins: [nodePrefix, treeShakableSchemas],
  // The SDK's clients load some credential providers and their dependencies on demand.
  mainFields: ['module', 'main'],
  tsconfig: join(root, 'tsconfig.dev.json'),
  logLevel: 'warning',
});
// The SDK's error message for SigV4a names `[require("@aws-sdk/signature-v4-crt");]` as advice: in
// single quotes it no longer reads as a require of the bundle (which needs Node's modules only).
writeFileSync(cli, readFileSync(cli, 'utf8').replaceAll('[require("@aws-sdk/signature-v4-crt");]', "[require('@aws-sdk/signature-v4-crt');]"));
chmodSync(cli, 0o755);
console.log(`bundled ${handlers.length} handler(s): ${handlers.join(', ') || 'none'}; and the mlops CLI (${Math.round(statSync(cli).size / 1024)} KiB)`);
