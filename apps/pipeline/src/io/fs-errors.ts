// File writes that say what failed: the operation, the path and, for a full disk, how much was needed where.
// Node's own errors for writes through a descriptor name no path (`ENOSPC: no space left on device, write`).
import * as fs from 'node:fs';
import * as path from 'node:path';

export class FileError extends Error {
  constructor(message: string, readonly code: string | undefined, readonly file: string) {
    super(message);
    this.name = 'FileError';
  }
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

/** Free bytes for unprivileged writes on the file system holding `p` (or its nearest existing parent), or null. */
export function freeBytes(p: string): number | null {
  let dir = p;
  while (!fs.existsSync(dir) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  try {
    const s = fs.statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

/**
 * Rethrows `e` (from `op` on `file`) as a FileError naming both; ENOSPC adds `needed` bytes (when known) and the free
 * space of that file system. Errors that are already FileErrors pass through.
 */
export function fileError(e: unknown, op: string, file: string, needed?: number): Error {
  if (e instanceof FileError) return e;
  const err = e as NodeJS.ErrnoException;
  if (!err || typeof err !== 'object' || !('code' in err)) return e as Error;
  const code = err.code;
  const reason = (err.message ?? String(err)).replace(/,\s*\w+\s+'[^']*'$/, '').replace(/,\s*\w+$/, '');
  let msg = `cannot ${op} ${file}: ${reason}`;
  if (code === 'ENOSPC') {
    const free = freeBytes(path.dirname(file));
    msg += `; ${needed !== undefined ? `it needs ${formatBytes(needed)}, ` : ''}${free !== null ? `${formatBytes(free)} is free on the file system of ${path.dirname(file)}` : `the file system of ${path.dirname(file)} is full`}; free some space (or point TRM_ARTIFACTS at a larger disk) and rerun`;
  } else if (code === 'EISDIR') {
    msg += ' (a folder is where a file should be)';
  } else if (code === 'EACCES' || code === 'EPERM') {
    msg += ' (no permission)';
  } else if (code === 'EROFS') {
    msg += ' (read-only file system)';
  }
  return new FileError(msg, code, file);
}

/** Writes `data` to `file` and flushes it to disk (fsync); errors name the file. */
export function writeFileSynced(file: string, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  let fd: number;
  try {
    fd = fs.openSync(file, 'w');
  } catch (e) {
    throw fileError(e, 'create', file, bytes.length);
  }
  try {
    let off = 0;
    while (off < bytes.length) off += fs.writeSync(fd, bytes, off, bytes.length - off);
    fs.fsyncSync(fd);
  } catch (e) {
    try { fs.closeSync(fd); } catch { /* already failing */ }
    throw fileError(e, 'write', file, bytes.length);
  }
  fs.closeSync(fd);
}

/** fsync of a folder, so that renames inside it survive a power cut (a no-op where folders cannot be opened). */
export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // not supported here (e.g. Windows): the rename is still atomic, only not yet durable
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Writes a file atomically: `<file>.tmp-<pid>`, flushed, then renamed over `file`. On failure the temporary file is
 * removed and the error names the file.
 */
export function writeFileAtomicSynced(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSynced(tmp, data);
    try {
      fs.renameSync(tmp, file);
    } catch (e) {
      throw fileError(e, 'rename into place', file);
    }
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  syncDir(path.dirname(file));
}
