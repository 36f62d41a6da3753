/**
 * The precompiled-JavaScript floor of an app command: bin/, lib/ and bench/ compiled once by swc
 * into a mirror of the repository in the temp dir, whose other entries (node_modules, assets,
 * examples...) are links to the real ones, so paths relative to __dirname still resolve.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { transformFileSync } from '@swc/core';
import { ROOT } from './measure';

const COMPILED = ['bin', 'lib', 'bench'];

function compileTree(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const source = path.join(from, entry.name);
    if (entry.isDirectory()) compileTree(source, path.join(to, entry.name));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) {
      const { code } = transformFileSync(source, {
        jsc: { target: 'es2022', parser: { syntax: 'typescript' } }, module: { type: 'commonjs' }, swcrc: false, configFile: false,
      });
      fs.writeFileSync(path.join(to, entry.name.replace(/\.ts$/, '.js')), code);
    } else fs.copyFileSync(source, path.join(to, entry.name));
  }
}

/** Returns the mirror's root; `remove()` deletes it. */
export function precompile(): { root: string; remove: () => void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-mlops-bench-js-'));
  for (const entry of fs.readdirSync(ROOT)) {
    if (COMPILED.includes(entry)) compileTree(path.join(ROOT, entry), path.join(root, entry));
    else fs.symlinkSync(path.join(ROOT, entry), path.join(root, entry));
  }
  return { root, remove: () => fs.rmSync(root, { recursive: true, force: true }) };
}
