/**
 * Which capture folders a drift window lists, which listed objects it reads, and how a record's
 * inferenceTime is read: the pure functions behind drift-detect's and drift-quality's selection.
 */
import * as fc from 'fast-check';
import { inferenceTimeMs } from '../../lambda/drift-core/capture';
import { captureFolders, CLOCK_SKEW_MS, hourPrefixes, mayHoldWindow, ownsUntimedLines } from '../../lambda/drift-core/window';

const HOUR = 3_600_000;
const window = (start: string, end: string) => ({ start: new Date(start), end: new Date(end) });

describe('captureFolders', () => {
  test('an hourly window lists the hour before (start - lag), its own and the next one (end + lag)', () => {
    expect(captureFolders('ep/v/', window('2026-12-01T10:00:00Z', '2026-12-01T11:00:00Z'), 10))
      .toEqual(['ep/v/2026/12/01/09/', 'ep/v/2026/12/01/10/', 'ep/v/2026/12/01/11/']);
  });

  test('without a lag the hour of the end is still listed: a file written at the end holds the last requests', () => {
    // and the hour before, within the clock slack of the start: objects dated there may hold untimed lines the window owns
    expect(captureFolders('', window('2026-12-01T10:00:00Z', '2026-12-01T11:00:00Z'), 0)).toEqual(['2026/12/01/09/', '2026/12/01/10/', '2026/12/01/11/']);
    expect(captureFolders('', window('2026-12-01T10:05:00Z', '2026-12-01T11:00:00Z'), 0)).toEqual(['2026/12/01/10/', '2026/12/01/11/']);
    // hourPrefixes (the ground-truth folders of a window) keeps to the hours that overlap [start, end).
    expect(hourPrefixes('', window('2026-12-01T10:00:00Z', '2026-12-01T11:00:00Z'))).toEqual(['2026/12/01/10/']);
  });

  test('folders cross days, months and years in UTC', () => {
    expect(captureFolders('p/', window('2026-12-31T23:15:00Z', '2026-12-31T23:55:00Z'), 10)).toEqual(['p/2026/12/31/23/', 'p/2027/01/01/00/']);
    expect(captureFolders('p/', window('2027-01-01T00:10:00Z', '2027-01-01T00:40:00Z'), 10)).toEqual(['p/2026/12/31/23/', 'p/2027/01/01/00/']);
  });

  test('the folders are every hour from start - lag to end + lag, with the clock slack both sides, once each, in order (property)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 24 * 60 }), fc.integer({ min: 0, max: 24 * 60 }),
      (startMinute, minutes, lag) => {
        const start = Date.parse('2026-12-01T00:00:00Z') + startMinute * 60_000;
        const end = start + minutes * 60_000;
        const folders = captureFolders('', { start: new Date(start), end: new Date(end) }, lag);
        const hours = folders.map((f) => Date.parse(`${f.slice(0, 10).replace(/\//g, '-')}T${f.slice(11, 13)}:00:00Z`));
        expect(hours[0]).toBe(Math.floor((start - lag * 60_000 - 5 * 60_000) / HOUR) * HOUR);
        // The run's cutoff (end + lag) is S3's clock; the folders are named by the endpoint host's, up to 5 minutes ahead.
        expect(hours.at(-1)).toBe(Math.floor((end + lag * 60_000 + 5 * 60_000) / HOUR) * HOUR);
        hours.slice(1).forEach((h, i) => expect(h - hours[i]).toBe(HOUR));
      },
    ), { seed: 3 });
  });
});

describe('mayHoldWindow', () => {
  const w = window('2026-12-01T10:00:00Z', '2026-12-01T11:00:00Z');
  test('an object S3 received before the window started, less the clock slack, is not read', () => {
    expect(CLOCK_SKEW_MS).toBe(5 * 60_000);
    expect(mayHoldWindow({ lastModified: Date.parse('2026-12-01T09:54:59.999Z') }, w)).toBe(false);
    expect(mayHoldWindow({ lastModified: Date.parse('2026-12-01T09:55:00Z') }, w)).toBe(true);
    // Objects received after the end may hold records of the window's last minutes: read.
    expect(mayHoldWindow({ lastModified: Date.parse('2026-12-01T13:00:00Z') }, w)).toBe(true);
    expect(mayHoldWindow({}, w)).toBe(true);
  });

  test('with a lag, an object S3 dates up to the lag earlier is read too: a multipart upload is dated when it was initiated', () => {
    expect(mayHoldWindow({ lastModified: Date.parse('2026-12-01T09:44:59.999Z') }, w, 10)).toBe(false);
    expect(mayHoldWindow({ lastModified: Date.parse('2026-12-01T09:45:00Z') }, w, 10)).toBe(true);
    expect(mayHoldWindow({ lastModified: Date.parse('2026-12-01T09:54:59Z') }, w, 0)).toBe(false);
  });
});

describe('ownsUntimedLines', () => {
  test('a window counts the untimed lines of the objects S3 dates in (start + lag - slack, end + lag - slack]: an upload has the slack to complete before its owner lists', () => {
    const w = window('2026-12-01T10:00:00Z', '2026-12-01T11:00:00Z');
    const at = (t: string) => ownsUntimedLines({ lastModified: Date.parse(t) }, w, 10);
    expect([at('2026-12-01T10:05:00Z'), at('2026-12-01T10:05:00.001Z'), at('2026-12-01T11:05:00Z'), at('2026-12-01T11:05:00.001Z')]).toEqual([false, true, true, false]);
    expect(ownsUntimedLines({}, w, 10)).toBe(true);
  });

  test('of back-to-back windows exactly one owns each object (property)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 180 }), fc.integer({ min: 0, max: 120 }), fc.integer({ min: 0, max: 20 * HOUR }), (minutes, lag, offset) => {
      const origin = Date.parse('2026-12-01T00:00:00Z');
      const lastModified = origin + 2 * HOUR + offset;
      const windows = Array.from({ length: Math.ceil((24 * 60) / minutes) + 2 }, (_, i) => ({ start: new Date(origin + i * minutes * 60_000), end: new Date(origin + (i + 1) * minutes * 60_000) }));
      expect(windows.filter((w) => ownsUntimedLines({ lastModified }, w, lag))).toHaveLength(1);
    }), { seed: 5 });
  });
});

describe('inferenceTimeMs', () => {
  const at = (inferenceTime: unknown) => inferenceTimeMs({ eventMetadata: { inferenceTime } } as any);
  test('reads ISO 8601 date-times as SageMaker writes them, with or without fractions and zones (a missing zone is UTC)', () => {
    expect(at('2026-12-01T10:59:59Z')).toBe(Date.UTC(2026, 11, 1, 10, 59, 59));
    expect(at('2026-12-01T10:59:59.123Z')).toBe(Date.UTC(2026, 11, 1, 10, 59, 59, 123));
    expect(at('2026-12-01T11:59:59+01:00')).toBe(Date.UTC(2026, 11, 1, 10, 59, 59));
    expect(at('2026-12-01T10:59:59')).toBe(Date.UTC(2026, 11, 1, 10, 59, 59));
  });

  test('anything else is no time: absent, a number, a date alone, free text, an impossible month', () => {
    for (const bad of [undefined, null, 1796122799000, '', '2026-12-01', 'yesterday', '2026-13-01T00:00:00Z', '10:59:59']) expect(at(bad)).toBeUndefined();
    // nor a day the month does not have, which Date.parse would roll over into the next month
    for (const bad of ['2026-04-31T10:00:00Z', '2026-02-29T10:00:00Z', '2026-02-30T23:59:59+01:00', '2026-06-31T00:00:00']) expect(at(bad)).toBeUndefined();
    expect([at('2028-02-29T10:00:00Z'), at('2026-12-31T23:59:59Z'), at('2026-01-01T00:30:00+01:00')])
      .toEqual([Date.UTC(2028, 1, 29, 10), Date.UTC(2026, 11, 31, 23, 59, 59), Date.UTC(2025, 11, 31, 23, 30)]);
    expect(inferenceTimeMs({})).toBeUndefined();
    expect(inferenceTimeMs(null as any)).toBeUndefined();
  });
});
