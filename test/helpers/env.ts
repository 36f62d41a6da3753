// Plain unit tests skip CDK's built-in CloudFormation validator (~2 s per synth);
// the quality-gate helpers turn it back on for the synths they check.
process.env.CDK_VALIDATION = 'false';
// Node 20 is what this machine has; jsii's notice about it is noise in test output.
process.env.JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION = '1';
