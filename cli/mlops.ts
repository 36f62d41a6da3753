/**
 * `mlops`, the package's `bin`: bundled with its dependencies (AWS SDK clients, commander,
 * log-update, cli-table3, picocolors) into assets/cli/mlops.js by scripts/bundle-handlers.mjs.
 */
import { createInterface } from 'node:readline/promises';
import { createLogUpdate } from 'log-update';
import { appendOnlyDisplay, Io } from './io';
import { program } from './program';

/** A redrawn display only on a terminal that can move the cursor; colours also only without NO_COLOR (https://no-color.org). */
const redraw = !!process.stdout.isTTY && process.env.TERM !== 'dumb';
const color = redraw && !process.env.NO_COLOR;

const io: Io = {
  out: (text) => { process.stdout.write(text); },
  err: (text) => { process.stderr.write(text); },
  color,
  redraw,
  interactive: !!process.stdin.isTTY,
  live() {
    if (!redraw) return appendOnlyDisplay((text) => process.stdout.write(text));
    const update = createLogUpdate(process.stdout, { showCursor: false });
    return { update: (block) => update(block), done: () => update.done() };
  },
  async confirm(question) {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    try {
      return /^y(es)?$/i.test((await rl.question(question)).trim());
    } finally {
      rl.close();
    }
  },
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  onInterrupt(handler) {
    let pressed = 0;
    // A first Ctrl-C detaches cleanly; a second one (the watch is stuck in a slow call) exits at once.
    const listener = () => { if (++pressed > 1) process.exit(130); handler(); };
    process.on('SIGINT', listener);
    return () => { process.off('SIGINT', listener); };
  },
  now: () => Date.now(),
};

program(io, (code) => { process.exitCode = code; }).parseAsync(process.argv).catch((e: Error) => {
  process.stderr.write(`mlops: ${e.message}\n`);
  process.exitCode = 1;
});
