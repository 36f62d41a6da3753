/**
 * The `mlops` commands. The entry (cli/mlops.ts) runs them on the terminal; tests run them with
 * a recording Io and mocked SDK clients.
 */
import { Command } from 'commander';
import { version } from '../package.json';
import { clients } from './aws';
import { CommonOptions, Context, hours, withAws } from './command';
import { driftRows, driftTable } from './drift-metrics';
import { localDriftCommands } from './drift-local';
import { json } from './format';
import { Io } from './io';
import { pipelineCommands } from './pipeline-commands';
import { registryCommands } from './registry-commands';

export { EXIT_DRIFT, formatReport } from './drift-local';
export { EXIT_RUN_FAILED } from './pipeline-commands';

export function program(io: Io, exit: (code: number) => void, makeClients = clients): Command {
  const ctx: Context = { io, exit, clients: makeClients };
  const mlops = new Command('mlops')
    .description('cdk-mlops on your machine: start and watch pipeline runs, approve and roll back models, read drift')
    .version(version)
    .enablePositionalOptions()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  pipelineCommands(mlops, ctx);
  registryCommands(mlops, ctx);

  const drift = mlops.command('drift')
    .description('an endpoint\'s latest drift and quality metrics against its alarms\' thresholds (`mlops drift <endpoint>`), '
      + 'or drift baselines and checks on local files with the deployed detector\'s code (`baseline`, `check`)')
    .argument('[endpoint]', 'the SageMaker endpoint the DriftMonitor watches')
    // `drift check ... --json` is check's --json, not drift's own.
    .enablePositionalOptions();
  withAws<CommonOptions & { variant?: string; since: number; monitor?: string }>(drift, ctx, async (c, options, endpoint) => {
    if (!endpoint) { drift.help({ error: true }); return; }
    const rows = await driftRows(c, endpoint, {
      sinceMs: options.since * 3_600_000, now: io.now(), variant: options.variant, monitor: options.monitor, warn: (text) => io.err(`mlops: ${text}`),
    });
    io.out(options.json ? json(rows) : driftTable(rows, io.color, io.now()));
  })
    .option('--variant <name>', 'only this production variant')
    .option('--monitor <name>', 'the DriftMonitor\'s monitorName, the prefix of its alarms (default: found from the endpoint\'s alarms)')
    .option('--since <hours>', 'look back this many hours for the latest points', hours, 24 * 14);
  localDriftCommands(drift);
  return mlops;
}
