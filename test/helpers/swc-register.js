// Runs TypeScript in plain node (`node -r ./test/helpers/swc-register.js bin/app.ts`): each .ts file
// is compiled by swc, the same transform jest uses (jest.config.js), when it is first required.
// It is the app command in cdk.json and the quality gates: about half of `npx tsx`'s CPU per synth
// (bench/results/synth.md), because there is no npx lookup, no second node process and no ESM loader
// thread. Types are not checked here (`npm run typecheck` and jsii do that).
const fs = require('fs');
const { transformSync } = require('@swc/core');

const OPTIONS = {
  jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
  module: { type: 'commonjs' },
  sourceMaps: 'inline',
  swcrc: false,
  configFile: false,
};

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), { ...OPTIONS, filename });
  module._compile(code, filename);
};
// Stack traces of errors thrown at synth point at the TypeScript lines.
process.setSourceMapsEnabled(true);
