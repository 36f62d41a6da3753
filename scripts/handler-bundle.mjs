// How a Lambda handler is bundled: shared by scripts/bundle-handlers.mjs and the handler benchmark
// (bench/handlers.ts), so that the benchmark measures exactly what the stacks deploy.
//
// The AWS SDK is bundled in, from its ES modules (`mainFields`), so that esbuild drops what the handler
// does not import: the S3 client alone is 430 KB this way against 590 KB as CommonJS, and init (parsing
// it) is 15 ms less than requiring the copy the Lambda runtime ships. AWS recommends bundling the SDK
// anyway, to fix its version with the function's code.

// The credential providers that Lambda never reaches: it puts the execution role's credentials in the
// environment, which the default chain reads first. These read ~/.aws files, run processes or take a
// web identity token, and bring the STS, SSO and sign-in clients with them (another 125 KB to parse).
// The container and instance metadata providers stay.
const UNREACHED_PROVIDERS = {
  '@aws-sdk/credential-provider-sso': 'fromSSO',
  '@aws-sdk/credential-provider-ini': 'fromIni',
  '@aws-sdk/credential-provider-process': 'fromProcess',
  '@aws-sdk/credential-provider-web-identity': 'fromTokenFile',
};

/** Each unreached provider as one that has no credentials to give, so the chain moves on to the next. */
export const lambdaCredentialProviders = {
  name: 'lambda-credential-providers',
  setup(build) {
    const filter = new RegExp(`^(${Object.keys(UNREACHED_PROVIDERS).join('|')})$`);
    build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'unreached-provider' }));
    build.onLoad({ filter: /.*/, namespace: 'unreached-provider' }, (args) => ({
      loader: 'js',
      contents: `export const ${UNREACHED_PROVIDERS[args.path]} = () => async () => {
  throw Object.assign(new Error('${args.path} is not bundled into this Lambda handler: Lambda gives credentials in the environment'), { tryNextLink: true });
};\n`,
    }));
  },
};

/** esbuild's options for one handler: `entry` bundled into `outfile`. */
export function handlerBuildOptions(entry, outfile, tsconfig) {
  return {
    entryPoints: [entry],
    outfile,
    bundle: true,
    minify: true,
    sourcemap: false,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    mainFields: ['module', 'main'],
    // The SDK imports a few of Node's modules on first use; as require()s, the same in Lambda, they also
    // load where import() is refused (the local run's tests load the bundles inside jest's VM).
    supported: { 'dynamic-import': false },
    plugins: [lambdaCredentialProviders],
    // Always the same tsconfig: otherwise the output (and the asset hash in every template) depends
    // on whether jsii has written its tsconfig.json yet.
    tsconfig,
    logLevel: 'warning',
  };
}
