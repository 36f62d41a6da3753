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
  const out: string[] = [];
  for (let t = Math.floor(window.start.getTime() / HOUR) * HOUR; t < window.end.getTime(); t += HOUR) {
    const d = new Date(t);
    const pad = (n: number) => String(n).padStart(2, '0');
    out.push(`${base}${d.getUTCFullYear()}/${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCHours())}/`);
  }
  return out;
}

/** A key-safe id of a window: `<endpoint>/<variant>/<end, ':' as '-'>`. */
export function runId(endpoint: string, variant: string, window: ResolvedWindow): string {
  return `${endpoint}/${variant}/${window.end.toISOString().replace(/:/g, '-')}`;
}
