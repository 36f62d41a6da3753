import { Command, InvalidArgumentError } from 'commander';
import { AwsOptions, Clients, explain } from './aws';
import { Io } from './io';

/** What every AWS command is given. */
export interface Context {
  readonly io: Io;
  readonly clients: (options: AwsOptions) => Clients;
  /** Sets the process's exit status (the entry passes it to `process.exitCode`). */
  readonly exit: (code: number) => void;
}

export interface CommonOptions extends AwsOptions {
  readonly json?: boolean;
}

/** --profile, --region and --json, and errors printed as what went wrong and what to do. */
export function awsCommand<O extends CommonOptions>(parent: Command, ctx: Context, spec: string, description: string,
  action: (c: Clients, options: O, ...args: string[]) => Promise<number | void>): Command {
  return withAws(parent.command(spec).description(description), ctx, action);
}

/** Adds the AWS options and the action to `cmd`. */
export function withAws<O extends CommonOptions>(cmd: Command, ctx: Context,
  action: (c: Clients, options: O, ...args: string[]) => Promise<number | void>): Command {
  cmd
    .option('--profile <name>', 'AWS profile (default: the SDK credential chain, AWS_PROFILE)')
    .option('--region <region>', 'AWS region (default: AWS_REGION or the profile\'s region)')
    .option('--json', 'print JSON for scripts instead of text');
  cmd.action(async (...all: unknown[]) => {
    // commander passes the arguments, then the options, then the command.
    const options = all[all.length - 2] as O;
    const args = all.slice(0, -2) as string[];
    try {
      const code = await action(ctx.clients(options), options, ...args);
      if (code) ctx.exit(code);
    } catch (error) {
      const text = explain(error, options);
      if (options.json) ctx.io.out(JSON.stringify({ error: { name: (error as Error).name, message: text } }) + '\n');
      ctx.io.err(`mlops: ${text}\n`);
      ctx.exit(1);
    }
  });
  return cmd;
}

export function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 1) throw new InvalidArgumentError(`expected seconds (at least 1), got '${value}'`);
  return n;
}

export function hours(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected hours (more than 0), got '${value}'`);
  return n;
}

export function count(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a whole number of at least 1, got '${value}'`);
  return n;
}
