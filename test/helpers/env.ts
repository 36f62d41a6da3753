// Plain unit tests skip CDK's built-in CloudFormation validator (~2 s per synth);
// the quality-gate helpers turn it back on for the synths they check.
process.env.CDK_VALIDATION = 'false';
// Node 20 is what this machine has; jsii's notice about it is noise in test output.
process.env.JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION = '1';
// So is the AWS SDK's notice that its releases after January 2027 need Node 22, which the handler
// bundles and the SDK clients the tests start print once per process.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// Node's default depth, as a user's synth has it: jest raises it to 100, and CDK captures a stack
// trace for every construct and every acknowledged finding, each frame mapped through jest's source
// maps (8% of the CPU of the synthesizing test files at 100).
Error.stackTraceLimit = 10;
