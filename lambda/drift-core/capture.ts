/**
 * Decoding of SageMaker data capture records (one JSON object per line):
 * `{"captureData":{"endpointInput":{"observedContentType":"text/csv","mode":"INPUT","data":"...","encoding":"CSV"},
 *   "endpointOutput":{...,"mode":"OUTPUT"}},"eventMetadata":{"eventId":"...","inferenceId":"...","inferenceTime":"..."},"eventVersion":"0"}`.
 * `encoding` is CSV or JSON (the text as it was sent) or BASE64 (content types captured as neither).
 */
import { MalformedKind } from './types';
import { isBlank, payloadLines, splitCsvLine } from './values';

export interface CapturedPayload {
  readonly observedContentType?: string;
  readonly mode?: string;
  readonly data?: unknown;
  readonly encoding?: string;
}

export interface CaptureRecord {
  readonly captureData?: { readonly endpointInput?: CapturedPayload; readonly endpointOutput?: CapturedPayload };
  readonly eventMetadata?: { readonly eventId?: string; readonly inferenceId?: string; readonly inferenceTime?: string };
}

/** A decoded payload: CSV text lines, or a parsed JSON value; or why it could not be decoded. */
export type Decoded =
  | { readonly kind: 'csv'; readonly lines: string[] }
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'error'; readonly error: MalformedKind };

export function decodePayload(payload: CapturedPayload): Decoded {
  const raw = payload.encoding;
  const encoding = raw === 'CSV' || raw === 'JSON' || raw === 'BASE64' ? raw : typeof raw === 'string' ? raw.toUpperCase() : undefined;
  const data = payload.data;
  if (data === undefined || data === null || encoding === undefined) return { kind: 'error', error: 'missingFields' };
  if (encoding === 'JSON' && typeof data === 'object') return { kind: 'json', value: data };
  if (typeof data !== 'string') return { kind: 'error', error: 'undecodablePayload' };
  if (isBlank(data)) return { kind: 'error', error: 'emptyPayload' };
  if (encoding === 'CSV') return { kind: 'csv', lines: payloadLines(data) };
  if (encoding === 'JSON') return parseJsonText(data);
  if (encoding !== 'BASE64') return { kind: 'error', error: 'undecodablePayload' };
  if (!/^[A-Za-z0-9+/=\s]*$/.test(data)) return { kind: 'error', error: 'undecodablePayload' };
  const text = Buffer.from(data, 'base64').toString('utf8');
  if (text.trim().length === 0) return { kind: 'error', error: 'emptyPayload' };
  const type = (payload.observedContentType ?? '').toLowerCase();
  if (type.includes('json')) return parseJsonText(text);
  // Binary content (images, protobuf) decodes to replacement and control characters: not tabular.
  if (/[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text)) return { kind: 'error', error: 'undecodablePayload' };
  if (type.includes('csv') || type.startsWith('text/')) return { kind: 'csv', lines: payloadLines(text) };
  const json = parseJsonText(text);
  return json.kind === 'json' ? json : { kind: 'csv', lines: payloadLines(text) };
}

/** JSON text, or JSON Lines (application/jsonlines: one value a line, taken as an array). */
function parseJsonText(text: string): Decoded {
  try {
    return { kind: 'json', value: JSON.parse(text) };
  } catch {
    const lines = payloadLines(text);
    if (lines.length < 2) return { kind: 'error', error: 'undecodablePayload' };
    try {
      return { kind: 'json', value: lines.map((l) => JSON.parse(l)) };
    } catch {
      return { kind: 'error', error: 'undecodablePayload' };
    }
  }
}

/**
 * The rows of a JSON request: an object (one row by feature name), an array of objects or of
 * arrays (a batch), an array of scalars (one row by position), or any of these under `instances`
 * or `inputs` (TensorFlow Serving) or as `{"features": [...]}` (SageMaker JSON Lines).
 */
export function jsonRows(value: unknown): unknown[] | undefined {
  if (Array.isArray(value)) {
    if (value.length === 0) return [];
    return value.every((v) => v === null || typeof v !== 'object') ? [value] : value.map(unwrapRow);
  }
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (Array.isArray(v.instances)) return jsonRows(v.instances);
    if (Array.isArray(v.inputs)) return jsonRows(v.inputs);
    return [unwrapRow(value)];
  }
  return undefined;
}

function unwrapRow(row: unknown): unknown {
  if (row && typeof row === 'object' && !Array.isArray(row)) {
    const features = (row as Record<string, unknown>).features;
    if (Array.isArray(features)) return features;
  }
  return row;
}

/** Field names that hold a prediction in a JSON response object, in the order they are tried. */
const PREDICTION_FIELDS = ['score', 'predicted_label', 'prediction', 'predicted_value', 'label', 'probability'];

/**
 * The predictions of a response, one per row: CSV lines (first column each), a JSON number, an
 * array, or an object under `predictions`, `probabilities` or `scores`; each element a scalar, an
 * array (its first element) or an object (`score`, `predicted_label`, ... as PREDICTION_FIELDS).
 */
export function predictions(decoded: Decoded): unknown[] | undefined {
  if (decoded.kind === 'error') return undefined;
  if (decoded.kind === 'csv') return decoded.lines.map((line) => splitCsvLine(line)[0]);
  const value = decoded.value;
  if (Array.isArray(value)) return value.map(predictionOf);
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    for (const key of ['predictions', 'probabilities', 'scores']) {
      if (Array.isArray(v[key])) return (v[key] as unknown[]).map(predictionOf);
    }
    const single = predictionOf(value);
    return single === undefined ? undefined : [single];
  }
  return [value];
}

function predictionOf(element: unknown): unknown {
  if (Array.isArray(element)) return element[0];
  if (element && typeof element === 'object') {
    const e = element as Record<string, unknown>;
    for (const key of PREDICTION_FIELDS) {
      if (e[key] !== undefined) return Array.isArray(e[key]) ? (e[key] as unknown[])[0] : e[key];
    }
    return undefined;
  }
  return element;
}

/** ISO 8601 date and time, as SageMaker writes `inferenceTime` (e.g. `2026-12-01T10:59:59Z`, `...59.123Z`, `...+00:00`). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * The epoch milliseconds of a record's `eventMetadata.inferenceTime`, or undefined when it is
 * absent or not an ISO 8601 date and time. A time without a zone is UTC (JavaScript would read it
 * in the local zone, so a laptop and Lambda would disagree).
 */
export function inferenceTimeMs(record: CaptureRecord): number | undefined {
  const text: unknown = record?.eventMetadata?.inferenceTime;
  if (typeof text !== 'string' || !ISO_TIME.test(text)) return undefined;
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? text : `${text}Z`;
  const ms = Date.parse(zoned);
  // Date.parse rolls a day past the month's end over (04-31 is 05-01): no such date is a time.
  const [year, month, day] = text.slice(0, 10).split('-').map(Number);
  if (Number.isNaN(ms) || day > new Date(Date.UTC(year, month, 0)).getUTCDate()) return undefined;
  return ms;
}

/** The key a ground-truth label joins on: the caller's inference id if it set one, else the event id. */
export function joinKey(record: CaptureRecord): string | undefined {
  const meta = record.eventMetadata;
  return meta?.inferenceId ?? meta?.eventId;
}
