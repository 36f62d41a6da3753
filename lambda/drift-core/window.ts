/** The time window a run covers and the capture folders that hold it. */

export interface WindowEvent {
  /** EventBridge's scheduled time of the invocation (the `time` of a scheduled event). */
  readonly time?: string;
  /** An explicit end of the window (wins over `time`). */
  readonly windowEnd?: string;
  readonly windowMinutes?: number;
}

export interface ResolvedWindow {
  readonly start: Date;
  readonly end: Date;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * [end - minutes, end), with end = windowEnd, or the event's time (else now) minus the lag so the
 * capture files of the window's last minutes have landed; whole minutes, so back-to-back scheduled
 * runs cover contiguous windows.
 */
export function resolveWindow(event: WindowEvent, windowMinutes: number, lagMinutes: number, now = Date.now()): ResolvedWindow {
  const explicit = event.windowEnd !== undefined ? Date.parse(event.windowEnd) : undefined;
  if (explicit !== undefined && Number.isNaN(explicit)) throw new Error(`windowEnd '${event.windowEnd}' is not an ISO 8601 time`);
  const scheduled = event.time !== undefined ? Date.parse(event.time) : NaN;
  const endMs = explicit ?? (Number.isNaN(scheduled) ? now : scheduled) - lagMinutes * MINUTE;
  const minutes = event.windowMinutes ?? windowMinutes;
  if (!Number.isInteger(minutes) || minutes < 1) throw new Error(`windowMinutes must be a whole number of minutes of at least 1, got ${minutes}`);
  const end = Math.floor(endMs / MINUTE) * MINUTE;
  return { start: new Date(end - minutes * MINUTE), end: new Date(end) };
}

/** The key prefix of an endpoint variant's capture: SageMaker adds `/` after a non-empty prefix. */
export function captureBase(prefix: string, endpoint: string, variant: string): string {
  const root = prefix.length === 0 || prefix.endsWith('/') ? prefix : `${prefix}/`;
  return `${root}${endpoint}/${variant}/`;
}

/** The hour folders `<base>yyyy/mm/dd/hh/` (UTC) that overlap [start, end). */
export function hourPrefixes(base: string, window: ResolvedWindow): string[] {
  return hourFolders(base, window.start.getTime(), window.end.getTime() - 1);
}

/** The hour folders `<base>yyyy/mm/dd/hh/` (UTC) from the hour of `fromMs` to the hour of `toMs`, both included. */
function hourFolders(base: string, fromMs: number, toMs: number): string[] {
  const out: string[] = [];
  const pad = (n: number) => String(n).padStart(2, '0');
  for (let t = Math.floor(fromMs / HOUR) * HOUR; t <= toMs; t += HOUR) {
    const d = new Date(t);
    out.push(`${base}${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCHours())}/`);
  }
  return out;
}

/**
 * The capture folders that can hold records of [start, end): SageMaker files a capture object under
 * the hour it writes it, minutes after the requests it holds (its buffer, then the delivery), so the
 * records of a window's last minutes lie in the next hour's folder. The folders run from the hour
 * of start - lag (should a folder be named for its file's first record instead) to the hour of
 * end + lag (the files the run can see: a scheduled run starts at end + lag), and the clock slack
 * after it: the run's cutoff is S3's clock, the folder's hour the endpoint host's. Records are then
 * kept by their own inferenceTime, so a record near an hour boundary counts in one window only.
 * The clock slack before start - lag too: an object whose untimed lines the window owns may be
 * dated that much earlier (`ownsUntimedLines`).
 */
export function captureFolders(base: string, window: ResolvedWindow, lagMinutes: number): string[] {
  const lag = lagMinutes * MINUTE;
  return hourFolders(base, window.start.getTime() - lag - CLOCK_SKEW_MS, window.end.getTime() + lag + CLOCK_SKEW_MS);
}

/**
 * Slack for clocks: an object's LastModified (S3's clock, when it received the object) against the
 * inferenceTime of its records (the endpoint host's clock, which captured them before the upload).
 */
export const CLOCK_SKEW_MS = 5 * MINUTE;

/**
 * Whether a listed capture object can hold records of the window. S3 documents an object's
 * LastModified as its creation date, which for a multipart upload is when the upload was
 * initiated, so a writer may have opened it before some of its records, though not more than the
 * lag before (the bound `captureFolders` takes for a folder named for its first record). An object
 * S3 dates earlier than start - lag (less the clock slack) holds only earlier records and need not
 * be read. An object without a LastModified is read.
 */
export function mayHoldWindow(object: { readonly lastModified?: number }, window: ResolvedWindow, lagMinutes = 0): boolean {
  const lag = lagMinutes * MINUTE;
  return object.lastModified === undefined || object.lastModified >= window.start.getTime() - lag - CLOCK_SKEW_MS;
}

/**
 * Whether a window counts the lines of a capture object that have no time to place them by (not
 * JSON, no readable inferenceTime): those of the objects S3 dates in (start + lag - slack, end +
 * lag - slack], the clock slack before the first scheduled run that can see them (it starts at
 * end + lag). S3 dates an object when its upload starts (a multipart one when it is initiated), and
 * lists it once the upload completes: the slack leaves an upload that long to finish before its
 * owner lists. Back-to-back windows split time so, and each counts such a line once, though the
 * objects near an hour boundary are read by two windows. An object without a LastModified is counted.
 */
export function ownsUntimedLines(object: { readonly lastModified?: number }, window: ResolvedWindow, lagMinutes: number): boolean {
  if (object.lastModified === undefined) return true;
  const owned = lagMinutes * MINUTE - CLOCK_SKEW_MS;
  return object.lastModified > window.start.getTime() + owned && object.lastModified <= window.end.getTime() + owned;
}

/** A key-safe id of a window: `<endpoint>/<variant>/<end, ':' as '-'>`. */
export function runId(endpoint: string, variant: string, window: ResolvedWindow): string {
  return `${endpoint}/${variant}/${window.end.toISOString().replace(/:/g, '-')}`;
}
