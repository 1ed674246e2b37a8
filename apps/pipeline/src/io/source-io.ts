// The pipeline's SourceIO: the only file and network access a dataset lib gets.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SourceIO } from '@trm/dataset';
import { download } from './download.ts';
import { createProgress, log } from './progress.ts';

/** Relative paths are resolved against `root` (the repository root). */
export function createSourceIO(root: string, downloadsDir: string): SourceIO {
  const abs = (p: string) => path.resolve(root, p);
  return {
    download: (url, opts) => download(url, { ...opts, cacheDir: downloadsDir }),
    readText: async (p) => fs.promises.readFile(abs(p), 'utf8'),
    readBytes: async (p) => new Uint8Array(await fs.promises.readFile(abs(p))),
    listDir: async (p) => (await fs.promises.readdir(abs(p))).sort(),
    exists: async (p) => fs.existsSync(abs(p)),
    join: (...parts) => path.join(...parts),
    progress: (label, total) => {
      const p = createProgress(label, total);
      return { tick: (n?: number) => p.tick(n), done: () => p.done() };
    },
    log,
  };
}
