// Loaded into every node process of a measured command (NODE_OPTIONS=--require): at exit, each
// writes its CPU time and peak resident memory to BENCH_PROBE_DIR, so a command's figures cover
// the CLI, npx, tsx and the app without /usr/bin/time.
const fs = require('fs');
const path = require('path');

const dir = process.env.BENCH_PROBE_DIR;
if (dir) {
  process.on('exit', () => {
    const usage = process.resourceUsage();
    const record = { pid: process.pid, argv: process.argv.slice(1, 3), cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, maxRssKb: usage.maxRSS };
    try { fs.writeFileSync(path.join(dir, `${process.pid}.json`), JSON.stringify(record)); } catch { /* the folder is gone: nothing to report to */ }
  });
}
