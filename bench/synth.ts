/**
 * Synth through the CDK CLI (`npx cdk synth --app ...`, cdk.json's feature flags): the reference app
 * (bin/app.ts's stack) against an empty app with the same settings, with CDK's built-in validator
 * (CDK_VALIDATION) and the cdk-nag packs (BENCH_NAG) on and off; then the reference app under each
 * app command against the floor, the empty app as precompiled JavaScript, and once with swc-register's
 * caches empty (a first synth). Last, one profiled synth of each app (`node --cpu-prof`), its CPU
 * split by category (bench/lib/profile-summary.ts).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Case, envRounds, machine, measure, mb, ms, paired, ROOT, rounds, table, writeResult, x } from './lib/measure';
import { precompile } from './lib/precompile';
import { summarize, Summary } from './lib/profile-summary';

const REFERENCE = 'bench/fixtures/reference-app.ts';
const EMPTY = 'bench/fixtures/empty-app.ts';

/** App commands for a .ts app: `<prefix> <app>`. */
export const COMMANDS: Record<string, string> = {
  'npx tsx': 'npx tsx',
  'node --import tsx': 'node --import tsx',
  'node -r swc-register': 'node -r ./test/helpers/swc-register.js',
};

/** cdk.json's app command with bin/app.ts swapped for `app`. */
export function configuredCommand(app: string): string {
  const command: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')).app;
  if (!command.includes('bin/app.ts')) throw new Error(`cdk.json's app command '${command}' does not name bin/app.ts`);
  return command.replace('bin/app.ts', app);
}

const SETTINGS = [
  { name: 'validator on, nag on', validation: 'true', nag: '1' },
  { name: 'validator on, nag off', validation: 'true', nag: '0' },
  { name: 'validator off, nag on', validation: 'false', nag: '1' },
  { name: 'validator off, nag off', validation: 'false', nag: '0' },
];

function synthCase(name: string, appCommand: string, validation: string, nag: string, options: { coldCaches?: boolean } = {}): Case {
  return {
    name,
    run: () => {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-bench-synth-'));
      // An empty cache folder: swc compiles every .ts file, as in a first synth.
      const cache = options.coldCaches ? path.join(out, 'swc-register-cache') : undefined;
      try {
        return measure(`npx cdk synth --app ${JSON.stringify(appCommand)} --output ${path.join(out, 'cdk.out')} --quiet`, {
          env: { CDK_VALIDATION: validation, BENCH_NAG: nag, CDK_DISABLE_CLI_TELEMETRY: 'true', ...(cache ? { SWC_REGISTER_CACHE: cache } : {}) },
        });
      } finally {
        fs.rmSync(out, { recursive: true, force: true });
      }
    },
  };
}

/** One synth of `app` through the CLI under `node --cpu-prof`, validator and nag on, summarized. */
export function profiledSynth(app: string): Summary {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-bench-prof-'));
  try {
    const configured = configuredCommand(app);
    if (!configured.startsWith('node ')) throw new Error(`cdk.json's app command '${configured}' does not start with 'node ': nothing to profile`);
    const command = configured.replace(/^node /, `node --cpu-prof --cpu-prof-dir=${path.join(dir, 'prof')} `);
    measure(`npx cdk synth --app ${JSON.stringify(command)} --output ${path.join(dir, 'cdk.out')} --quiet`, {
      env: { CDK_VALIDATION: 'true', BENCH_NAG: '1', CDK_DISABLE_CLI_TELEMETRY: 'true' },
    });
    const [profile] = fs.readdirSync(path.join(dir, 'prof'));
    return summarize(JSON.parse(fs.readFileSync(path.join(dir, 'prof', profile), 'utf8')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function benchSynth(): void {
  const count = envRounds(5);
  const js = precompile();
  try {
    const floorCommand = (app: string) => `node ${path.join(js.root, app.replace(/\.ts$/, '.js'))}`;
    const cases: Case[] = [];
    for (const s of SETTINGS) {
      cases.push(
        synthCase(`reference|${s.name}`, configuredCommand(REFERENCE), s.validation, s.nag),
        synthCase(`empty|${s.name}`, configuredCommand(EMPTY), s.validation, s.nag),
        synthCase(`floor|${s.name}`, floorCommand(EMPTY), s.validation, s.nag),
      );
    }
    const configured = configuredCommand('');
    const commands = Object.entries(COMMANDS).filter(([, prefix]) => `${prefix} ` !== configured);
    for (const [name, prefix] of commands) cases.push(synthCase(`command|${name}`, `${prefix} ${REFERENCE}`, 'true', '1'));
    cases.push(synthCase('command|precompiled JS', floorCommand(REFERENCE), 'true', '1'));
    cases.push(synthCase('command|cold caches', configuredCommand(REFERENCE), 'true', '1', { coldCaches: true }));

    // Unmeasured: swc-register's cache then holds every .ts file of both apps, as after a first synth.
    for (const app of [REFERENCE, EMPTY]) synthCase('warm-up', configuredCommand(app), 'true', '1').run();
    const samples = rounds(count, cases, (line) => process.stderr.write(`synth ${line}\n`));
    const get = (name: string) => samples.get(name)!;

    const settingsRows = SETTINGS.map((s) => {
      const ref = paired(get(`reference|${s.name}`), get(`empty|${s.name}`));
      const empty = paired(get(`empty|${s.name}`), get(`floor|${s.name}`));
      const refFloor = paired(get(`reference|${s.name}`), get(`floor|${s.name}`));
      return [s.name, ms(ref.wallMs), ms(empty.wallMs), x(ref.wallRatio), x(ref.cpuRatio), x(ref.appCpuRatio), mb(ref.appRssMb), mb(empty.appRssMb), x(ref.appRssRatio), x(refFloor.wallRatio), x(refFloor.cpuRatio)];
    });
    const defaults = SETTINGS[0].name;
    const commandRows = [
      [`${configured.trim()} (cdk.json)`, get(`reference|${defaults}`)],
      [`${configured.trim()}, caches empty (a first synth)`, get('command|cold caches')],
      ...commands.map(([name, prefix]) => [`${prefix}`, get(`command|${name}`)] as const),
      ['precompiled JS (floor of the app command)', get('command|precompiled JS')],
    ].map(([name, s]) => {
      const p = paired(s as never, get(`floor|${defaults}`));
      return [name as string, ms(p.wallMs), ms(p.cpuMs), ms(p.appCpuMs), mb(p.appRssMb), x(p.wallRatio), x(p.cpuRatio)];
    });

    const profiles = { reference: profiledSynth(REFERENCE), empty: profiledSynth(EMPTY) };
    const categories = [...new Set([...profiles.reference.categories.keys(), ...profiles.empty.categories.keys()])]
      .sort((a, b) => (profiles.reference.categories.get(b) ?? 0) - (profiles.empty.categories.get(b) ?? 0)
        - ((profiles.reference.categories.get(a) ?? 0) - (profiles.empty.categories.get(a) ?? 0)));
    const profileRows = [...categories.map((c) => [c, profiles.reference.categories.get(c) ?? 0, profiles.empty.categories.get(c) ?? 0] as const),
      ['total', profiles.reference.totalMs, profiles.empty.totalMs] as const]
      .map(([name, ref, empty]) => [name, `${ref.toFixed(0)} ms`, `${empty.toFixed(0)} ms`, `${(ref - empty).toFixed(0)} ms`]);

    writeResult('synth', `## Synth through the CLI

\`npm run bench:synth\`: \`npx cdk synth --app "<command>" --quiet\` with cdk.json's feature flags; medians of ${count} paired rounds (every case once per round, rotating order); ratios are medians of the per-round ratios. CPU is summed over the node processes of a synth (npx, the CLI, tsx's launcher, the app); "app" figures are the app's process alone (the CLI itself peaks at ~220 MB in every case). On a 2-core machine shared with other work, CPU time is the steadier figure; wall time carries the load. ${machine()}.

Reference app (bench/fixtures/reference-app.ts: bin/app.ts's stack) against the empty app (bench/fixtures/empty-app.ts: one empty stack, the same cdk-nag packs), both run by cdk.json's app command \`${configured.trim()}\`; the last column is against the floor, the empty app as precompiled JavaScript.

${table(['settings', 'reference wall', 'empty wall', 'wall ratio', 'CPU ratio', 'app CPU ratio', 'reference app peak', 'empty app peak', 'app memory ratio', 'wall vs floor', 'CPU vs floor'], settingsRows)}

The reference app with the validator and nag on (what \`npx cdk synth\` does) under each app command, against the floor with the same settings. Every case but the first-synth row runs with swc-register's cache of compiled .ts files (test/helpers/swc-register.js) filled by an unmeasured synth of each app before the rounds.

${table(['app command', 'wall', 'CPU', 'app CPU', 'app peak memory', 'wall vs floor', 'CPU vs floor'], commandRows)}

Where the app's CPU goes: one synth of each app under \`node --cpu-prof\` (validator and nag on; the profiler adds to every figure), each sample counted in the first category that a frame of its stack belongs to (bench/lib/profile-summary.ts: the validator, swc, \`require\` whoever makes it (aws-cdk-lib's lazy loads included, so the modules cdk-nag and our constructs both use count once, wherever they load first), cdk-nag's rules, asset staging, our constructs and the CDK work they call, CDK's synthesis).

${table(['category', 'reference app', 'empty app', 'difference'], profileRows)}
`);
  } finally {
    js.remove();
  }
}

if (require.main === module) benchSynth();
