// In a fresh node process: how long `require(handler)` takes (module scope, clients included),
// printed as milliseconds. Lambda's region variable is set, as the runtime sets it.
process.env.AWS_REGION = process.env.AWS_REGION || 'us-east-1';
const start = process.hrtime.bigint();
require(process.argv[2]);
process.stdout.write(`${Number(process.hrtime.bigint() - start) / 1e6}\n`);
