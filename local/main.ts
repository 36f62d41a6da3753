/**
 * `npm run local`: the CLI around runLocal (local-run.ts). Ctrl-C (or SIGTERM) aborts the run and
 * stops what it started; a second Ctrl-C exits at once (moto dies with this process anyway, see
 * test/helpers/moto.ts). Exits 1 when the pipeline, the endpoint or the drift check is not as expected.
 */
import { runLocal } from './local-run';

/** The whole run's limit (it takes about a minute); then it stops itself as on Ctrl-C. */
const RUN_LIMIT_MS = Number(process.env.LOCAL_RUN_LIMIT_MS ?? 15 * 60_000);
const STOP_GRACE_MS = 20_000;

async function main(): Promise<number> {
  const controller = new AbortController();
  let interrupted = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted++;
    if (interrupted > 1) process.exit(130);
    console.error(`\n${signal}: stopping the local run (moto, running jobs, the work folder)...`);
    controller.abort();
    // Bounded: whatever still waits after this is cut off (moto dies with this process).
    setTimeout(() => process.exit(130), STOP_GRACE_MS).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const started = Date.now();
  const limit = setTimeout(() => {
    console.error(`\nthe local run took longer than ${RUN_LIMIT_MS / 1000} s: stopping it`);
    onSignal('SIGTERM');
  }, RUN_LIMIT_MS);
  limit.unref();
  try {
    const result = await runLocal({ signal: controller.signal });
    const ok = result.pipeline.status === 'SUCCEEDED' && result.endpoint?.status === 'InService' && result.drift?.run.status === 'SUCCEEDED';
    console.log(`\n${ok ? 'Local run complete' : 'Local run FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s; moto stopped, work folder removed.`);
    console.log('What this proves and what only an AWS account proves: docs/LOCAL-RUN.md');
    return ok ? 0 : 1;
  } catch (error) {
    console.error(`\nLocal run failed${interrupted ? ' (interrupted)' : ''}: ${(error as Error).message}`);
    return interrupted ? 130 : 1;
  } finally {
    clearTimeout(limit);
  }
}

main().then((code) => process.exit(code));
