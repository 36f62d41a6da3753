/** The detector over local capture files: what `mlops drift check` runs. */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createReadStream } from 'node:fs';
import { AccumulatorOptions, DriftAccumulator } from './accumulator';
import { forEachLine } from './lines';
import { driftReport, ReportContext } from './report';
import { Baseline, DriftReport } from './types';

/** Capture files under a path: the file itself, or every file below a folder (sorted, hidden files skipped). */
export function captureFiles(path: string): string[] {
  const stat = statSync(path);
  if (stat.isFile()) return [path];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (entry.name.startsWith('.')) continue;
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile()) out.push(full);
    }
  };
  walk(path);
  return out;
}

/** Streams every capture file under `path` into one accumulator and reports drift. */
export async function checkLocal(baseline: Baseline, path: string, options: AccumulatorOptions = {}, context: ReportContext = {}): Promise<DriftReport> {
  const accumulator = new DriftAccumulator(baseline, options);
  for (const file of captureFiles(path)) {
    accumulator.addObject(statSync(file).size);
    await forEachLine(createReadStream(file, { highWaterMark: 1 << 20 }), (line, n) => accumulator.addLine(line, file, n));
  }
  return driftReport(baseline, accumulator.toPartial(), context);
}
