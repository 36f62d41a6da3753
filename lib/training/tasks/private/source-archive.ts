import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

/** What script-mode archives leave out unless told otherwise: caches and tool folders. */
export const DEFAULT_EXCLUDES = ['__pycache__', '*.pyc', '.git', '.venv', '.ipynb_checkpoints', '.DS_Store', '.pytest_cache'];

/** A packed source directory. */
export interface SourceArchive {
  /** The gzipped tar. */
  readonly bytes: Buffer;
  /** SHA-256 of the uncompressed tar: stable across zlib versions, unlike the gzip bytes. */
  readonly contentHash: string;
  /** The archived files, relative, with '/' separators, in archive order. */
  readonly files: string[];
}

/** A fixed modification time (2000-01-01), so that the same files always make the same archive. */
const MTIME = 946684800;

/**
 * Packs the files under `directory` as a gzipped tar the way SageMaker's training toolkit
 * unpacks a `sagemaker_submit_directory` (`tarfile.open(mode='r:gz')`): regular files only, at
 * paths relative to the directory, in byte order, with fixed owner, mode and time, so the bytes
 * depend only on the files' paths and contents. Symbolic links are followed.
 */
export function packSourceDirectory(directory: string, exclude: string[] = DEFAULT_EXCLUDES): SourceArchive {
  return packFiles(listFiles(directory, '', exclude, new Set()).map((name) => ({ name, file: path.join(directory, ...name.split('/')) })));
}

/** Packs files at the archive paths given, in that order (see `packSourceDirectory`). */
export function packFiles(entries: Array<{ readonly name: string; readonly file: string }>): SourceArchive {
  const files = entries.map((e) => e.name);
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const content = fs.readFileSync(entry.file);
    blocks.push(header(entry.name, content.length), content, Buffer.alloc((512 - (content.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  const tar = Buffer.concat(blocks);
  const bytes = zlib.gzipSync(tar, { level: 9 });
  // The gzip header's OS byte is the building platform's; fix it to Unix (3) for every platform.
  bytes[9] = 3;
  return { bytes, contentHash: crypto.createHash('sha256').update(tar).digest('hex'), files };
}

function listFiles(root: string, relative: string, exclude: string[], seen: Set<string>): string[] {
  const real = fs.realpathSync(path.join(root, relative));
  if (seen.has(real)) return []; // a link back up the tree
  seen.add(real);
  const names = fs.readdirSync(path.join(root, relative)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const files: string[] = [];
  for (const name of names) {
    const rel = relative ? `${relative}/${name}` : name;
    if (excluded(rel, exclude)) continue;
    const stat = fs.statSync(path.join(root, rel));
    if (stat.isDirectory()) files.push(...listFiles(root, rel, exclude, seen));
    else if (stat.isFile()) files.push(rel);
  }
  return files;
}

/** A pattern without '/' matches any one name in the path; one with '/' matches the path from the root. */
function excluded(rel: string, patterns: string[]): boolean {
  const names = rel.split('/');
  return patterns.some((pattern) => {
    const re = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
    return pattern.includes('/') ? re.test(rel) : names.some((name) => re.test(name));
  });
}

/** A POSIX ustar header of a regular file, mode 0644, owner root. */
function header(name: string, size: number): Buffer {
  const block = Buffer.alloc(512);
  const [prefix, base] = splitName(name);
  block.write(base, 0, 100, 'utf8');
  octal(block, 100, 8, 0o644);
  octal(block, 108, 8, 0);
  octal(block, 116, 8, 0);
  octal(block, 124, 12, size);
  octal(block, 136, 12, MTIME);
  block.fill(' ', 148, 156); // the checksum counts its own field as spaces
  block.write('0', 156, 1, 'ascii');
  block.write('ustar\u000000', 257, 8, 'ascii');
  block.write('root', 265, 32, 'ascii');
  block.write('root', 297, 32, 'ascii');
  block.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return block;
}

function octal(block: Buffer, offset: number, length: number, value: number): void {
  block.write(`${value.toString(8).padStart(length - 1, '0')}\u0000`, offset, length, 'ascii');
}

/** ustar keeps up to 100 bytes of name and 155 of prefix, split at a '/'. */
function splitName(name: string): [string, string] {
  const bytes = Buffer.byteLength(name);
  if (bytes <= 100) return ['', name];
  for (let i = name.indexOf('/'); i >= 0; i = name.indexOf('/', i + 1)) {
    const prefix = name.slice(0, i);
    const base = name.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(base) <= 100) return [prefix, base];
  }
  throw new Error(`'${name}' is too long for a tar archive (a name of at most 100 bytes in folders of at most 155); shorten the path`);
}

/** Whether a requirements.txt asks pip for anything (lines other than blanks and comments). */
export function hasRequirements(file: string): boolean {
  if (!fs.existsSync(file)) return false;
  return fs.readFileSync(file, 'utf8').split('\n').some((line) => line.replace(/#.*/, '').trim() !== '');
}
