// The pipeline's SourceIO: the only file and network access a dataset lib gets.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { splitLines, type SourceIO } from '@trm/dataset';
import { download } from './download.ts';
import { createProgress, log } from './progress.ts';

/** Relative paths are resolved against `root` (the repository root). */
export function createSourceIO(root: string, downloadsDir: string): SourceIO {
  const abs = (p: string) => path.resolve(root, p);
  return {
    download: (url, opts) => download(url, { ...opts, cacheDir: downloadsDir }),
    readText: (p) => fs.promises.readFile(abs(p), 'utf8').catch((e) => { throw fileError(p, e); }),
    readBytes: async (p) => new Uint8Array(await fs.promises.readFile(abs(p)).catch((e) => { throw fileError(p, e); })),
    readLines: (p, opts) => lines(abs(p), p, opts),
    listDir: async (p) => (await fs.promises.readdir(abs(p)).catch((e) => { throw fileError(p, e, 'folder'); })).sort(),
    exists: async (p) => fs.existsSync(abs(p)),
    join: (...parts) => path.join(...parts),
    progress: (label, total) => {
      const p = createProgress(label, total);
      return { tick: (n?: number) => p.tick(n), done: () => p.done() };
    },
    log,
  };
}

/** An I/O error as a message naming the path and, for the usual causes, what is wrong in plain words. */
export function fileError(p: string, e: unknown, expected: 'file' | 'folder' = 'file'): Error {
  const err = e as NodeJS.ErrnoException;
  const plain: Record<string, string> = {
    ENOENT: 'not found',
    EISDIR: 'is a folder, expected a file',
    ENOTDIR: expected === 'folder' ? 'is a file, expected a folder' : 'a part of the path is a file, not a folder',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    ERR_STRING_TOO_LONG: 'too large to read as one text',
  };
  const why = (err.code && plain[err.code]) ?? (/Invalid string length/.test(err.message) ? plain.ERR_STRING_TOO_LONG : err.message);
  return Object.assign(new Error(`${p}: ${why}`), { code: err.code });
}

/** SourceIO.readLines over a file: 1 MiB chunks, open and read errors naming the path. */
async function* lines(file: string, shown: string, opts: Parameters<SourceIO['readLines']>[1]): AsyncGenerator<string> {
  const handle = await fs.promises.open(file).catch((e) => { throw fileError(shown, e); });
  try {
    if ((await handle.stat()).isDirectory()) throw fileError(shown, Object.assign(new Error('EISDIR'), { code: 'EISDIR' }));
    const chunks = async function* () {
      try {
        for await (const c of handle.createReadStream({ highWaterMark: 1 << 20, autoClose: false })) yield c as Uint8Array;
      } catch (e) {
        throw fileError(shown, e);
      }
    };
    yield* splitLines(chunks(), shown, opts);
  } finally {
    await handle.close();
  }
}
