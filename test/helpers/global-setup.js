// Handlers are bundled at `npm ci` (prepare); bundle again so tests never see a stale asset.
const { execFileSync } = require('child_process');
const path = require('path');

module.exports = () => {
  execFileSync(process.execPath, [path.join(__dirname, '..', '..', 'scripts', 'bundle-handlers.mjs')], { stdio: 'inherit' });
};
