// Test support only (not exported by index.ts): a SourceIO over the local file system, and the shared data folder.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SourceIO } from '@trm/dataset';

/** ../shared/data/arc relative to the repository root (libs/arc/src -> repo root is three levels up). */
export const ARC_DATA = fileURLToPath(new URL('../../../../shared/data/arc', import.meta.url));

export function nodeIO(): SourceIO {
  return {
    download: () => Promise.reject(new Error('no downloads in tests')),
    readText: async (p) => readFileSync(p, 'utf8'),
    readBytes: async (p) => new Uint8Array(readFileSync(p)),
    listDir: async (p) => readdirSync(p).sort(),
    exists: async (p) => existsSync(p),
    join: (...parts) => join(...parts),
    progress: () => ({ tick() {}, done() {} }),
    log: () => {},
  };
}

/** An in-memory SourceIO: file path -> text. */
export function memoryIO(files: Record<string, string>): SourceIO {
  return {
    download: () => Promise.reject(new Error('no downloads in tests')),
    readText: async (p) => {
      if (!(p in files)) throw new Error(`no file ${p}`);
      return files[p];
    },
    readBytes: async (p) => new TextEncoder().encode(files[p]),
    listDir: async (p) => Object.keys(files).filter((f) => f.startsWith(`${p}/`)).map((f) => f.slice(p.length + 1)).sort(),
    exists: async (p) => p in files || Object.keys(files).some((f) => f.startsWith(`${p}/`)),
    join: (...parts) => parts.join('/'),
    progress: () => ({ tick() {}, done() {} }),
    log: () => {},
  };
}
