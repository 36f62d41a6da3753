// One temporary root per jest run: globalSetup points TMPDIR at it before jest starts its workers,
// so every os.tmpdir() in a test, a helper or a process a test spawns (cdk, python, moto) writes
// under it, and globalTeardown deletes it. Roots of runs that died before their teardown (killed,
// Ctrl-C) carry their jest process id in the name and are swept by the next run.
const fs = require('fs');
const os = require('os');
const path = require('path');

const PREFIX = 'cdk-mlops-jest-';

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** Deletes the roots whose jest process is gone (another run's live root stays). */
function sweepStaleRoots(base) {
  for (const name of fs.readdirSync(base)) {
    const match = new RegExp(`^${PREFIX}(\\d+)-`).exec(name);
    if (match && Number(match[1]) !== process.pid && !alive(Number(match[1]))) {
      fs.rmSync(path.join(base, name), { recursive: true, force: true });
    }
  }
}

function createRoot() {
  const base = os.tmpdir();
  sweepStaleRoots(base);
  const root = fs.mkdtempSync(path.join(base, `${PREFIX}${process.pid}-`));
  process.env.CDK_MLOPS_TEST_TMP_BASE = base;
  process.env.CDK_MLOPS_TEST_TMP = root;
  process.env.TMPDIR = root;
  return root;
}

function removeRoot() {
  const root = process.env.CDK_MLOPS_TEST_TMP;
  if (!root) return;
  fs.rmSync(root, { recursive: true, force: true });
  process.env.TMPDIR = process.env.CDK_MLOPS_TEST_TMP_BASE;
  delete process.env.CDK_MLOPS_TEST_TMP;
}

module.exports = { PREFIX, createRoot, removeRoot, sweepStaleRoots };
