// Loaded with node's own require by shared-validator.js: copies a JSON value into node's realm, where
// @aws/cloudformation-validate checks that its configuration is made of plain objects of its realm.
module.exports = (value) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));
