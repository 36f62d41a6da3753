// Runs TypeScript in plain node (`node -r ./test/helpers/swc-register.js bin/app.ts`): each .ts file
// is compiled by swc, the same transform jest uses (jest.config.js), when it is first required.
// It is the app command in cdk.json and the quality gates: about half of `npx tsx`'s CPU per synth
// (bench/results/synth.md), because there is no npx lookup, no second node process and no ESM loader
// thread. Types are not checked here (`npm run typecheck` and jsii do that).
//
// Two costs of a synth are kept low here (bench/results/synth.md has the figures):
// - Compiled files are cached in node_modules/.cache/cdk-mlops/swc-register, keyed by swc's version,
//   the options, the path and the source, so an unchanged file is read, not compiled, and swc's
//   native binding is loaded only when something changed.
// - Stack traces point at the TypeScript lines (CDK records one per construct and acknowledgement,
//   and errors at synth must name the user's line), but without `process.setSourceMapsEnabled`: that
//   makes node decode the inline source map of every module it loads (cdk-nag's 279 files carry one each) and map
//   every frame of every trace. Here only frames in files this hook compiled are mapped, each map
//   parsed when a trace first needs it, and a frame is written exactly as node writes a mapped one.
//   (The code frame node prints above an uncaught error's stack shows the compiled line.)
// A V8 code cache for node_modules (vm.Script cachedData) was tried too: no gain with CDK's
// validator on, which is what `cdk synth` runs.
const crypto = require('crypto');
const fs = require('fs');
const { SourceMap } = require('module');
const path = require('path');

const OPTIONS = {
  jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
  module: { type: 'commonjs' },
  sourceMaps: true,
  swcrc: false,
  configFile: false,
};
// SWC_REGISTER_CACHE names another folder (bench/synth.ts measures a first synth with an empty one).
const CACHE = process.env.SWC_REGISTER_CACHE ?? path.join(__dirname, '..', '..', 'node_modules', '.cache', 'cdk-mlops', 'swc-register');

let swc;
let salt;
/** Compiled path -> its source map: the JSON text until a trace needs it, then a SourceMap. */
const maps = new Map();

function compile(filename, source) {
  salt ??= JSON.stringify([require('@swc/core/package.json').version, OPTIONS]);
  const key = crypto.createHash('sha256').update(salt).update('\0').update(filename).update('\0').update(source).digest('hex');
  const cached = path.join(CACHE, `${key}.json`);
  try {
    return JSON.parse(fs.readFileSync(cached, 'utf8'));
  } catch {
    // Not cached yet (or unreadable): compile it.
  }
  swc ??= require('@swc/core');
  const { code, map } = swc.transformSync(source, { ...OPTIONS, filename });
  const output = { code, map };
  try {
    fs.mkdirSync(CACHE, { recursive: true });
    // Written aside and renamed: parallel processes (jest workers, gates) never read half a file.
    const partial = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(partial, JSON.stringify(output));
    fs.renameSync(partial, cached);
  } catch {
    // A read-only tree still runs, compiling each time.
  }
  return output;
}

require.extensions['.ts'] = (module, filename) => {
  const { code, map } = compile(filename, fs.readFileSync(filename, 'utf8'));
  if (map) maps.set(filename, map);
  module._compile(code, filename);
};

function sourceMapOf(filename) {
  const map = maps.get(filename);
  if (typeof map !== 'string') return map;
  const parsed = new SourceMap(JSON.parse(map));
  maps.set(filename, parsed);
  return parsed;
}

// node's serializeJSStackFrame and getOriginalSymbolName (lib/internal/source_map/prepare_stack_trace.js).
function mappedFrame(map, callSite, caller) {
  const { originalLine, originalColumn, originalSource } = map.findEntry(callSite.getLineNumber() - 1, callSite.getColumnNumber() - 1);
  if (originalSource === undefined || originalLine === undefined || originalColumn === undefined) return `${callSite}`;
  const name = originalSymbolName(map, callSite, caller);
  const source = originalSource.startsWith('file://') ? require('url').fileURLToPath(originalSource) : originalSource;
  const fnName = callSite.getFunctionName() ?? callSite.getMethodName();
  const prefix = callSite.isAsync() ? 'async ' : callSite.isConstructor() ? 'new ' : '';
  const typeName = callSite.getTypeName();
  const originalName = `${typeName !== null && typeName !== 'global' ? `${typeName}.` : ''}${fnName || '<anonymous>'}`;
  const mappedName = name && name !== originalName ? `${name}` : `${originalName}`;
  const hasName = !!(name || originalName);
  return `${prefix}${mappedName}${hasName ? ' (' : ''}${source}:${originalLine + 1}:${originalColumn + 1}${hasName ? ')' : ''}`;
}

function originalSymbolName(map, callSite, caller) {
  const enclosing = map.findEntry(callSite.getEnclosingLineNumber() - 1, callSite.getEnclosingColumnNumber() - 1);
  if (enclosing.name) return enclosing.name;
  if (caller && callSite.getFileName() === caller.getFileName()) {
    return map.findEntry(caller.getLineNumber() - 1, caller.getColumnNumber() - 1).name;
  }
  return undefined;
}

Error.prepareStackTrace = (error, trace) => {
  // node's own errors read `Name [ERR_CODE]: message`, as node writes them.
  const head = typeof error?.code === 'string' && error.code.startsWith('ERR_') && error instanceof Error
    ? `${error.name} [${error.code}]: ${error.message}`
    : Error.prototype.toString.call(error);
  return head + trace.map((callSite, i) => {
    let frame;
    try {
      const file = callSite.getFileName();
      const map = file === undefined ? undefined : sourceMapOf(file);
      frame = map ? mappedFrame(map, callSite, trace[i + 1]) : `${callSite}`;
    } catch {
      frame = `${callSite}`;
    }
    return `\n    at ${frame}`;
  }).join('');
};
