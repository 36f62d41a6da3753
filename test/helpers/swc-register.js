// Runs TypeScript in plain node (`node -r ./test/helpers/swc-register.js bin/app.ts`): each .ts file
// is compiled by swc, the same transform jest uses (jest.config.js), when it is first required.
// It is the app command in cdk.json and the quality gates: about half of `npx tsx`'s CPU per synth
// (bench/results/synth.md), because there is no npx lookup, no second node process and no ESM loader
// thread. Types are not checked here (`npm run typecheck` and jsii do that).
//
// Three costs of a synth are kept low here (bench/results/synth.md has the figures):
// - Compiled files are cached in node_modules/.cache/cdk-mlops/swc-register, keyed by swc's version,
//   the options, the path and the source, so an unchanged file is read, not compiled, and swc's
//   native binding is loaded only when something changed.
// - The JavaScript under node_modules (aws-cdk-lib, cdk-nag: ~850 modules per synth) is compiled
//   with V8's code cache, kept in node_modules/.cache/cdk-mlops/v8 and written at exit, after the
//   run, so it holds the functions the synth compiled lazily too. V8 rejects a cache made by
//   another V8 version or for other source; the module is then compiled as usual and cached anew.
// - Stack traces point at the TypeScript lines (CDK records one per construct and acknowledgement,
//   and errors at synth must name the user's line), but without `process.setSourceMapsEnabled`: that
//   makes node decode the inline source map of every module it loads (cdk-nag ships 279) and map
//   every frame of every trace. Here only frames in files this hook compiled are mapped, each map
//   parsed when a trace first needs it, and a frame is written exactly as node writes a mapped one.
const crypto = require('crypto');
const fs = require('fs');
const Module = require('module');
const path = require('path');
const vm = require('vm');

const OPTIONS = {
  jsc: { target: 'es2022', parser: { syntax: 'typescript' } },
  module: { type: 'commonjs' },
  sourceMaps: true,
  swcrc: false,
  configFile: false,
};
const CACHE_ROOT = path.join(__dirname, '..', '..', 'node_modules', '.cache', 'cdk-mlops');
const CACHE = path.join(CACHE_ROOT, 'swc-register');
const CODE_CACHE = path.join(CACHE_ROOT, 'v8');

let swc;
let salt;
/** Compiled path -> its source map: the JSON text until a trace needs it, then a SourceMap. */
const maps = new Map();

const hash = (...parts) => crypto.createHash('sha256').update(parts.join('\0')).digest('hex');

/** Writes `data` to `file` aside and renames it: parallel processes (jest workers, gates) never read half a file. */
function writeAtomically(file, data) {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const partial = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(partial, data);
    fs.renameSync(partial, file);
  } catch {
    // A read-only tree still runs, compiling each time.
  }
}

function compile(filename, source) {
  salt ??= JSON.stringify([require('@swc/core/package.json').version, OPTIONS]);
  const cached = path.join(CACHE, `${hash(salt, filename, source)}.json`);
  try {
    return JSON.parse(fs.readFileSync(cached, 'utf8'));
  } catch {
    // Not cached yet (or unreadable): compile it.
  }
  swc ??= require('@swc/core');
  const { code, map } = swc.transformSync(source, { ...OPTIONS, filename });
  const output = { code, map };
  writeAtomically(cached, JSON.stringify(output));
  return output;
}


// What node's Module.prototype._compile does for a CommonJS file, through a vm.Script that takes
// and makes V8's code cache. The column offset keeps columns on the wrapper's line (all of a
// minified aws-cdk-lib file) where node reports them.
const nodeCompile = Module.prototype._compile;
const WRAPPER_LENGTH = Module.wrapper[0].length;
const NODE_MODULES = `${path.sep}node_modules${path.sep}`;
const uncached = [];
Module.prototype._compile = function (content, filename) {
  if (!filename.endsWith('.js') || !filename.includes(NODE_MODULES)) return nodeCompile.call(this, content, filename);
  // Keyed by the file's identity, not its text: hashing ~35 MB of modules per synth costs more than
  // a stat. npm replaces a file it updates (a new inode and ctime); an edit in place moves ctime.
  let file;
  let cachedData;
  try {
    const stat = fs.statSync(filename, { bigint: true });
    file = path.join(CODE_CACHE, `${hash(process.version, filename, content.length, stat.size, stat.ino, stat.mtimeNs, stat.ctimeNs)}.bin`);
    cachedData = fs.readFileSync(file);
  } catch {
    // Not cached yet.
  }
  const script = new vm.Script(Module.wrap(content), {
    filename,
    columnOffset: -WRAPPER_LENGTH,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (file && (cachedData === undefined || script.cachedDataRejected)) uncached.push({ file, script });
  const wrapper = script.runInThisContext({ displayErrors: true });
  const module = this;
  const require = (id) => module.require(id);
  require.resolve = (request, options) => Module._resolveFilename(request, module, false, options);
  require.resolve.paths = (request) => Module._resolveLookupPaths(request, module);
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return wrapper.call(module.exports, module.exports, require, module, filename, path.dirname(filename));
};
process.once('exit', () => {
  for (const { file, script } of uncached) writeAtomically(file, script.createCachedData());
});

require.extensions['.ts'] = (module, filename) => {
  const { code, map } = compile(filename, fs.readFileSync(filename, 'utf8'));
  if (map) maps.set(filename, map);
  // node's own compile, not the override's: the traces CDK records keep the frames they had.
  nodeCompile.call(module, code, filename);
};

function sourceMapOf(filename) {
  const map = maps.get(filename);
  if (typeof map !== 'string') return map;
  const parsed = new Module.SourceMap(JSON.parse(map));
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
