import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { testApp } from './app';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { PREFIX, sweepStaleRoots } = require('./temp-root');

describe('the run\'s temporary root', () => {
  test('os.tmpdir() in a test is the root globalSetup made, so teardown removes all a test writes', () => {
    expect(process.env.CDK_MLOPS_TEST_TMP).toBeDefined();
    expect(os.tmpdir()).toBe(process.env.CDK_MLOPS_TEST_TMP);
    expect(path.basename(os.tmpdir())).toMatch(new RegExp(`^${PREFIX}\\d+-`));
  });

  test('test apps write their cloud assembly under it', () => {
    expect(testApp().outdir.startsWith(`${process.env.CDK_MLOPS_TEST_TMP}${path.sep}`)).toBe(true);
  });

  test('a sweep removes the roots of jest processes that are gone and keeps live ones and other folders', () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'sweep-'));
    const dead = path.join(base, `${PREFIX}2147483646-abc`);
    const live = path.join(base, `${PREFIX}${process.ppid}-abc`);
    const other = path.join(base, 'cdk-mlops-other-abc');
    for (const dir of [dead, live, other]) fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dead, 'left-behind.json'), '{}');
    sweepStaleRoots(base);
    expect(fs.readdirSync(base).sort()).toEqual([path.basename(other), path.basename(live)].sort());
  });
});
