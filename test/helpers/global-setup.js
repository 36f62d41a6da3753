// Handlers are bundled at `npm ci` (prepare); bundle again so tests never see a stale asset.
// Then every temporary file of the run goes under one root that globalTeardown deletes.
const { execFileSync } = require('child_process');
const path = require('path');
const { createRoot } = require('./temp-root');

module.exports = () => {
  execFileSync(process.execPath, [path.join(__dirname, '..', '..', 'scripts', 'bundle-handlers.mjs')], { stdio: 'inherit' });
  createRoot();
};
