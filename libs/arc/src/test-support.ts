// Test support only (not exported by index.ts, imports nothing of Node): SourceIO over a file system the test
// passes in, an in-memory SourceIO, and the shared data folder.
import { textLines, type SourceIO } from '@trm/dataset';

/** ../shared/data/arc relative to the repository root (libs/arc/src -> repo root is three levels up). */
export const ARC_DATA = decodeURIComponent(new URL('../../../../shared/data/arc', import.meta.url).pathname);

export interface FsLike {
  readFileSync(path: string, encoding: 'utf8'): string;
  readdirSync(path: string): string[];
  existsSync(path: string): boolean;
}

export function fsIO(fs: FsLike): SourceIO {
  return {
    download: () => Promise.reject(new Error('no downloads in tests')),
    readText: async (p) => fs.readFileSync(p, 'utf8'),
    readBytes: async (p) => new TextEncoder().encode(fs.readFileSync(p, 'utf8')),
    readLines: (p, opts) => textLines(fs.readFileSync(p, 'utf8'), p, opts),
    listDir: async (p) => fs.readdirSync(p).sort(),
    exists: async (p) => fs.existsSync(p),
    join: (...parts) => parts.join('/'),
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
    readLines: (p, opts) => textLines(files[p], p, opts),
    listDir: async (p) => Object.keys(files).filter((f) => f.startsWith(`${p}/`)).map((f) => f.slice(p.length + 1)).sort(),
    exists: async (p) => p in files || Object.keys(files).some((f) => f.startsWith(`${p}/`)),
    join: (...parts) => parts.join('/'),
    progress: () => ({ tick() {}, done() {} }),
    log: () => {},
  };
}
