/**
 * Parsing of single values and CSV lines, used alike for training data and captured payloads so
 * that the baseline and the detector cannot disagree on what a value is.
 */

/** Tokens read as a missing value (besides the empty string and JSON null). */
const MISSING_TOKENS = new Set(['NA', 'N/A', 'NaN', 'nan', 'null', 'NULL', 'None', 'none']);

export function isMissing(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (typeof value === 'number') return Number.isNaN(value);
  if (typeof value === 'string') {
    if (value.length === 0) return true;
    if (MISSING_TOKENS.has(value)) return true;
    // Rare: values padded with spaces; only then pay for a trim.
    return (value.charCodeAt(0) === 32 || value.charCodeAt(value.length - 1) === 32) && isMissing(value.trim());
  }
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
  return typeof value === 'string' ? value.trim() : typeof value === 'object' ? JSON.stringify(value) : String(value);
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
  const lines = text.split('\n');
  const out: string[] = [];
  for (let line of lines) {
    if (line.length > 0 && line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (line.trim().length > 0) out.push(line);
  }
  return out;
}
