/**
 * Lines of a byte stream (an S3 object body, a file), decoded as UTF-8 across chunk boundaries.
 * Only the current chunk and one unfinished line are held, so memory does not grow with the
 * stream; a line is as long as one capture record (SageMaker payloads are at most a few MB).
 */
import { createReadStream } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

export async function* lines(stream: AsyncIterable<Uint8Array | string>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of stream) {
    const text = rest + (typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer));
    let start = 0;
    let end = text.indexOf('\n');
    while (end >= 0) {
      yield text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
      start = end + 1;
      end = text.indexOf('\n', start);
    }
    rest = start === 0 ? text : text.slice(start);
  }
  rest += decoder.end();
  if (rest.length > 0) yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

/** A generator over chunk arrays is far faster than one yield per line: callers that can, use this. */
export async function forEachLine(stream: AsyncIterable<Uint8Array | string>, onLine: (line: string, lineNumber: number) => void): Promise<number> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let n = 0;
  for await (const chunk of stream) {
    const text = rest + (typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer));
    let start = 0;
    let end = text.indexOf('\n');
    while (end >= 0) {
      onLine(text.charCodeAt(end - 1) === 13 && end > start ? text.slice(start, end - 1) : text.slice(start, end), ++n);
      start = end + 1;
      end = text.indexOf('\n', start);
    }
    rest = start === 0 ? text : text.slice(start);
  }
  rest += decoder.end();
  if (rest.length > 0) onLine(rest.endsWith('\r') ? rest.slice(0, -1) : rest, ++n);
  return n;
}

/** Lines of a local file, streamed. */
export function fileLines(path: string): AsyncGenerator<string> {
  return lines(createReadStream(path, { highWaterMark: 1 << 20 }));
}
