// Stops a jsii compile that still runs (see global-setup.js), then deletes the run's temporary root
// (see temp-root.js): tests leave nothing in the system temp dir.
const { stopJsiiCompile } = require('./global-setup');
const { removeRoot } = require('./temp-root');

module.exports = () => {
  if (process.env.CDK_MLOPS_TEST_TMP) stopJsiiCompile(process.env.CDK_MLOPS_TEST_TMP);
  removeRoot();
};
