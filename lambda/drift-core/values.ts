/**
 * Parsing of single values and CSV lines, used alike for training data and captured payloads so
 * that the baseline and the detector cannot disagree on what a value is.
 */

/** Tokens read as a missing value (besides the empty string and JSON null). */
const MISSING_TOKENS = new Set(['NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', 'None', 'none']);

export function isMissing(value: unknown): boolean {
  if (typeof value === 'string') {
    const n = value.length;
    if (n === 0) return true;
    const first = value.charCodeAt(0);
    // Hot path: every captured value passes here. The tokens are 2 to 4 characters starting with N or n.
    if (n <= 4 && (first === 78 || first === 110)) return MISSING_TOKENS.has(value);
    // Rare: values padded with spaces; only then pay for a trim.
    return (first === 32 || value.charCodeAt(n - 1) === 32) && isMissing(value.trim());
  }
  if (value === null || value === undefined) return true;
  if (typeof value === 'number') return Number.isNaN(value);
  return false;
}

/** A finite number, or undefined when the value is not one (missing values are checked first by the caller). */
export function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'string') return undefined;
  const n = +value;
  // `+' '` is 0 and `+'0x1f'` is 31: both are not numbers in a CSV.
  if (!Number.isFinite(n)) return undefined;
  const c = value.charCodeAt(value.length > 1 ? 1 : 0);
  if (c === 120 || c === 88) return undefined; // 0x.., 0X..
  return n;
}

/** A category label: strings as they are, numbers and booleans in their JSON spelling. */
export function toCategory(value: unknown): string {
  if (typeof value === 'string') {
    return value.charCodeAt(0) > 32 && value.charCodeAt(value.length - 1) > 32 ? value : value.trim();
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * Splits one CSV line (RFC 4180 quoting: "a,""b""" is one field `a,"b"`). Lines never span
 * records here: a capture record's CSV payload is split on newlines first.
 */
export function splitCsvLine(line: string): string[] {
  if (line.indexOf('"') < 0) return line.split(',');
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') { field += '"'; i++; } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { fields.push(field); field = ''; } else field += c;
  }
  fields.push(field);
  return fields;
}

/** The lines of a payload, without a trailing `\r` and without blank lines. */
export function payloadLines(text: string): string[] {
  // Hot path: most requests are one row.
  if (text.indexOf('\n') < 0) {
    const line = text.charCodeAt(text.length - 1) === 13 ? text.slice(0, -1) : text;
    return isBlank(line) ? [] : [line];
  }
  const lines = text.split('\n');
  const out: string[] = [];
  for (let line of lines) {
    if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (!isBlank(line)) out.push(line);
  }
  return out;
}

/** Empty or only whitespace, without allocating a trimmed copy for the usual non-blank text. */
export function isBlank(text: string): boolean {
  if (text.length === 0) return true;
  if (text.charCodeAt(0) > 32) return false;
  return text.trim().length === 0;
}

/*
 * parseDecimal reads a plain decimal number from a range of a string without slicing it, exactly
 * as `+text` would (Clinger's fast path: an integer mantissa below 2^53 and a power of ten up to
 * 1e22 are exact doubles, so one division is correctly rounded); anything else returns NaN and the
 * caller falls back to `+text` on the slice.
 */
const POW10 = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];
const MAX_EXACT = 2 ** 53;

/** `+s.slice(start, end)` for plain decimals (-12.5, 3, 0.25); NaN for anything else (exponents, spaces, long mantissas, text). */
export function parseDecimal(s: string, start: number, end: number): number {
  let i = start;
  let negative = false;
  let ch = s.charCodeAt(i);
  if (ch === 45) { negative = true; ch = s.charCodeAt(++i); } else if (ch === 43) ch = s.charCodeAt(++i);
  let mantissa = 0;
  let digits = 0;
  let fraction = 0;
  let dot = false;
  for (; i < end; ch = s.charCodeAt(++i)) {
    if (ch >= 48 && ch <= 57) {
      mantissa = mantissa * 10 + (ch - 48);
      digits++;
      if (dot) fraction++;
    } else if (ch === 46 && !dot) {
      dot = true;
    } else {
      return NaN;
    }
  }
  if (digits === 0 || mantissa >= MAX_EXACT || fraction > 22) return NaN;
  const value = fraction === 0 ? mantissa : mantissa / POW10[fraction];
  return negative ? -value : value;
}
