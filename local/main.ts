/**
 * `npm run local`: the CLI around runLocal (local-run.ts). Ctrl-C (or SIGTERM) aborts the run and
 * stops what it started; a second Ctrl-C exits at once (moto dies with this process anyway, see
 * test/helpers/moto.ts). Exits 1 when the pipeline, the endpoint or the drift check is not as expected.
 */
import { runLocal } from './local-run';

async function main(): Promise<number> {
  const controller = new AbortController();
  let interrupted = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupted++;
    if (interrupted > 1) process.exit(130);
    console.error(`\n${signal}: stopping the local run (moto, running jobs, the work folder)...`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const started = Date.now();
  try {
    const result = await runLocal({ signal: controller.signal });
    const ok = result.pipeline.status === 'SUCCEEDED' && result.endpoint?.status === 'InService' && result.drift?.run.status === 'SUCCEEDED';
    console.log(`\n${ok ? 'Local run complete' : 'Local run FAILED'} in ${((Date.now() - started) / 1000).toFixed(1)} s; moto stopped, work folder removed.`);
    console.log('What this proves and what only an AWS account proves: docs/LOCAL-RUN.md');
    return ok ? 0 : 1;
  } catch (error) {
    console.error(`\nLocal run failed${interrupted ? ' (interrupted)' : ''}: ${(error as Error).message}`);
    return interrupted ? 130 : 1;
  }
}

main().then((code) => process.exit(code));
