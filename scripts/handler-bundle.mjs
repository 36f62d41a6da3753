// How a Lambda handler is bundled: shared by scripts/bundle-handlers.mjs and the handler benchmark
// (bench/handlers.ts), so that the benchmark measures exactly what the stacks deploy.
//
// The AWS SDK is bundled in, from its ES modules (`mainFields`), so that esbuild drops what the handler
// does not import: with the rewrites below, the S3 client is 240 KB against 590 KB as CommonJS, and its
// init (mostly parsing it) is 26 ms over an empty module against 60 ms for the copy the Lambda runtime
// ships (`npm run bench:handlers`). AWS recommends bundling the SDK anyway, to fix its version with
// the function's code.

import { readFile } from 'node:fs/promises';

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

// The SDK describes each client's shapes in one schemas file, as arrays whose traits are objects with
// computed keys (`{ [_hQ]: _uI }`, with `const _hQ = "httpQuery"`). esbuild cannot prove that a computed
// key has no side effect, so it keeps every shape of the service: 65 KB of the S3 client's 300 KB, to
// parse at every cold start. Written as the string literals they are, the unused shapes tree-shake away.
// Safe only where each key is a top-level const string declared once and no nested scope could
// declare its name again, so a file of another shape is left as it is, with a warning.
const SCHEMAS_FILE = /[\\/]@aws-sdk[\\/]client-[a-z0-9-]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;

// In the code outside string literals, where a name could be declared again: a function, class,
// method, catch or loop, an arrow with parameters or a body, a declaration in a block or indented.
const NESTED_SCOPE = new RegExp([
  /\b(function|class|catch|for|while|with)\b/,
  /\([^()]*[\w$][^()]*\)\s*=>|[\w$]\s*=>|=>\s*\{/,
  /\)\s*\{|[{;][ \t]*(const|let|var)\b|^[ \t]+(const|let|var)\b/,
].map((r) => r.source).join('|'), 'm');

/** The source with every string literal emptied, so that only code is checked. */
function withoutStrings(source) {
  return source.replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g, '""');
}

/** `[_k]:` as `"value":` for each top-level `const _k = "value";`; undefined where that is not safe. */
export function literalSchemaKeys(source) {
  const code = withoutStrings(source);
  if (NESTED_SCOPE.test(code)) return undefined;
  const declarations = new Map();
  for (const [, name] of code.matchAll(/\b(?:const|let|var)\s+([\w$]+)/g)) declarations.set(name, (declarations.get(name) ?? 0) + 1);
  const consts = new Map([...source.matchAll(/^const (_[\w$]+) = ("[^"\\\n]*");$/gm)]
    // "__proto__" as a literal key would set the prototype, not a property.
    .filter(([, name, value]) => declarations.get(name) === 1 && value !== '"__proto__"')
    .map((m) => [m[1], m[2]]));
  let replaced = 0;
  const contents = source.replace(/\[(_[\w$]+)\]:/g, (key, name) => (consts.has(name) ? (replaced++, `${consts.get(name)}:`) : key));
  return replaced > 0 ? contents : undefined;
}

export const treeShakableSchemas = {
  name: 'tree-shakable-schemas',
  setup(build) {
    build.onLoad({ filter: SCHEMAS_FILE }, async (args) => {
      const contents = literalSchemaKeys(await readFile(args.path, 'utf8'));
      if (contents !== undefined) return { contents, loader: 'js' };
      return { warnings: [{ text: `${args.path}: not of the shape tree-shakable-schemas rewrites (scripts/handler-bundle.mjs), bundled whole` }] };
    });
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
    plugins: [lambdaCredentialProviders, treeShakableSchemas],
    // Always the same tsconfig: otherwise the output (and the asset hash in every template) depends
    // on whether jsii has written its tsconfig.json yet.
    tsconfig,
    logLevel: 'warning',
  };
}
