// jest gives every test file a fresh module registry, so CDK's built-in validator
// (@aws/cloudformation-validate: a 9 MB WebAssembly module, and engines that take seconds to build
// from their rules) would start again in each file that synthesizes with CDK_VALIDATION=true.
// jest.config.js maps the package here: it is loaded once per worker with node's own require,
// outside jest's registry, and the engines it builds are kept (a few, least recently used last)
// for the next synth with the same configuration, in any file. Validation itself is unchanged:
// an engine is reused only for an identical configuration (the same rules, in the same order).
const crypto = require('crypto');
// Inside a test file, require('module') is jest's stand-in, but its static loader is node's own.
const Module = require('module');
const path = require('path');

function loadOutsideJest(request, from) {
  const parent = { id: from, filename: from, path: path.dirname(from), paths: Module._nodeModulePaths(path.dirname(from)) };
  return Module._load(Module._resolveFilename(request, parent), parent, false);
}

const validator = loadOutsideJest('@aws/cloudformation-validate', require.resolve('aws-cdk-lib/package.json'));
/** The package accepts only plain objects of its own realm, not of a test file's. */
const copy = loadOutsideJest('./outer-realm-copy.js', __filename);
const KEPT = 4;
const engines = (validator[Symbol.for('cdk-mlops.engines')] ??= new Map());

function engineFor(config) {
  const key = crypto.createHash('sha256').update(JSON.stringify(config)).digest('hex');
  let engine = engines.get(key);
  if (engine) {
    engines.delete(key);
  } else {
    engine = new validator.CompositeEngine(copy(config));
    if (engines.size >= KEPT) {
      const [oldestKey, oldest] = engines.entries().next().value;
      engines.delete(oldestKey);
      oldest.free();
    }
  }
  engines.set(key, engine);
  return engine;
}

/** CDK's plugin frees its engine after each synth; the engine behind this one stays for the next. */
class CompositeEngine {
  constructor(config) { this.config = config; }
  validateTemplate(template, config) { return engineFor(this.config).validateTemplate(template, copy(config)); }
  validateStandard(template, config) { return engineFor(this.config).validateStandard(template, copy(config)); }
  validateDetailed(template, config) { return engineFor(this.config).validateDetailed(template, copy(config)); }
  validateAwsCliCommand(request) { return engineFor(this.config).validateAwsCliCommand(request); }
  free() { /* kept for the next synth */ }
}

module.exports = { ...validator, CompositeEngine };
