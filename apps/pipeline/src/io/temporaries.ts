// Temporary files and folders of this pipeline: `<name>.tmp-<pid>`, `<name>.old-<pid>`, `<name>.stale-<pid>`, made
// by the process <pid> while it writes something atomically. A process that was killed leaves them behind: they are
// found (for `trm status`) and removed at start-up, but only when their process is gone, never a live one's.
import * as fs from 'node:fs';
import * as path from 'node:path';

const TEMP = /\.(tmp|old|stale)-(\d+)$/;

export interface Temporary {
  path: string;
  pid: number;
  /** the process that made it is still running */
  alive: boolean;
}

export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Temporaries directly in `dir` (and in its sub-folders down to `depth` levels). */
export function findTemporaries(dir: string, depth = 0): Temporary[] {
  const out: Temporary[] = [];
  let names: string[];
  try {
    names = fs.readdirSync(dir).sort();
  } catch {
    return out;
  }
  for (const name of names) {
    const p = path.join(dir, name);
    const m = TEMP.exec(name);
    if (m) {
      out.push({ path: p, pid: Number(m[2]), alive: pidAlive(Number(m[2])) });
      continue;
    }
    if (depth > 0) {
      let isDir = false;
      try { isDir = fs.statSync(p).isDirectory(); } catch { /* vanished */ }
      if (isDir) out.push(...findTemporaries(p, depth - 1));
    }
  }
  return out;
}

/** Removes the temporaries of dead processes in `dir` (not in sub-folders); returns their paths. */
export function removeDeadTemporaries(dir: string): string[] {
  const removed: string[] = [];
  for (const t of findTemporaries(dir)) {
    if (t.alive) continue;
    fs.rmSync(t.path, { recursive: true, force: true });
    removed.push(t.path);
  }
  return removed;
}
