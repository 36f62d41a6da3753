// Deletes the run's temporary root (see temp-root.js): tests leave nothing in the system temp dir.
const { removeRoot } = require('./temp-root');

module.exports = () => { removeRoot(); };
