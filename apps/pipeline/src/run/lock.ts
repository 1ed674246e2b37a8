// One run per config: an advisory lock file, artifacts/<config>/run.lock, holding the pid, host, start time and
// command of the process that writes that config's artifacts. A stage takes it just before it writes (a command
// whose stages are all up to date, and read-only commands such as status and inspect, never take it) and keeps it
// until the process exits. A lock whose process is gone (same host, pid not running or reused) is taken over with a
// message; a lock of another host cannot be checked from here and is never taken over.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pidAlive, removeDeadTemporaries } from '../io/temporaries.ts';
import { onExit } from './signals.ts';

export const LOCK_FILE = 'run.lock';

export interface LockHolder {
  pid: number;
  host: string;
  /** ISO time the holder took the lock */
  started: string;
  /** the holder's command line, e.g. `trm train --config rK` */
  command: string;
  /** the holder's start time in clock ticks after boot (/proc/<pid>/stat), to tell a reused pid apart */
  processStart: string | null;
  /** random, to recognise our own lock file */
  token: string;
}

export class LockedError extends Error {
  constructor(message: string, readonly holder: LockHolder | null) {
    super(message);
    this.name = 'LockedError';
  }
}

export function lockPath(artifacts: string, config: string): string {
  return path.join(artifacts, config, LOCK_FILE);
}

/** Field 22 of /proc/<pid>/stat (start time after boot), or null where there is no /proc. */
export function processStart(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** running: the holder still runs; gone: it does not (or its pid now belongs to another process); unknown: another host. */
export function holderState(h: LockHolder): 'running' | 'gone' | 'unknown' {
  if (h.host !== os.hostname()) return 'unknown';
  if (!pidAlive(h.pid)) return 'gone';
  if (h.processStart !== null) {
    const now = processStart(h.pid);
    if (now !== null && now !== h.processStart) return 'gone';
  }
  return 'running';
}

/** The lock's holder, or null when there is no lock file; `undefined` when it cannot be read (being written, damaged). */
export function readLock(file: string): LockHolder | null | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    return undefined;
  }
  try {
    const h = JSON.parse(text) as LockHolder;
    return Number.isInteger(h.pid) && typeof h.host === 'string' && typeof h.token === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

function ago(iso: string): string {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (!Number.isFinite(s)) return 'unknown time';
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

/** `pid 31782 on this host, running \`trm train --config rK\` since 2026-12-07T18:46:12Z (3 min)` */
export function describeHolder(h: LockHolder): string {
  const where = h.host === os.hostname() ? 'on this host' : `on host ${h.host}`;
  return `pid ${h.pid} ${where}, running \`${h.command}\` since ${h.started} (${ago(h.started)})`;
}

const held = new Map<string, { token: string; release(): void }>();

/** The command line as the lock records it. */
export function commandLine(argv = process.argv): string {
  return ['trm', ...argv.slice(2)].join(' ');
}

/**
 * Takes the lock of `artifacts/<config>` for this process (a no-op when it already holds it) and releases it when the
 * process exits. Throws LockedError when another running process holds it. `log` gets the take-over message.
 */
export function acquireLock(artifacts: string, config: string, log: (s: string) => void, command = commandLine()): void {
  const file = lockPath(artifacts, config);
  const mine = held.get(file);
  if (mine && readLock(file)?.token === mine.token) return;
  held.delete(file);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const me: LockHolder = { pid: process.pid, host: os.hostname(), started: new Date().toISOString(), command, processStart: processStart(process.pid), token: randomBytes(8).toString('hex') };
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify(me, null, 2) + '\n');
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        fs.linkSync(tmp, file); // atomic: fails when a lock exists, never exposes a half-written one
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 20) throw e;
      }
      const h = readLock(file);
      if (h === null) continue;
      if (h && h.pid === process.pid && h.host === me.host) {
        // this process holds it already (one process is one run, whichever copy of this module took it)
        held.set(file, { token: h.token, release: () => { if (readLock(file)?.token === h.token) fs.rmSync(file, { force: true }); held.delete(file); } });
        return;
      }
      if (h === undefined) {
        // another process is writing it (link makes that instantaneous), or it is damaged: give it a moment, then replace it
        if (Date.now() - fs.statSync(file).mtimeMs < 2000) { sleep(100); continue; }
        log(`trm: ${file} is unreadable (not a lock this pipeline wrote?); replacing it`);
        fs.rmSync(file, { force: true });
        continue;
      }
      const state = holderState(h);
      if (state === 'running') throw new LockedError(`${path.dirname(file)} is in use by ${describeHolder(h)}; wait for it to end, or stop it with \`kill -INT ${h.pid}\` (it saves a checkpoint first). Read-only commands (status, inspect, show-config) work meanwhile.`, h);
      if (state === 'unknown') throw new LockedError(`${path.dirname(file)} is locked by ${describeHolder(h)}, which cannot be checked from ${os.hostname()}; if no run of this config is going on there, delete ${file}`, h);
      takeOver(file, h);
      log(`trm: taking over ${file} from pid ${h.pid} (\`${h.command}\`, since ${h.started}), which is no longer running`);
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  // holding the lock, this process may clear what killed runs of this config left (never a live process's)
  removeDeadTemporaries(path.dirname(file));
  const release = () => {
    const h = readLock(file);
    if (h && h.token === me.token) fs.rmSync(file, { force: true });
    held.delete(file);
  };
  const remove = onExit(release);
  held.set(file, { token: me.token, release: () => { remove(); release(); } });
}

/** Releases the lock this process holds on `artifacts/<config>` (otherwise it goes when the process exits). */
export function releaseLock(artifacts: string, config: string): void {
  held.get(lockPath(artifacts, config))?.release();
}

/** Moves a dead holder's lock away, checking that what was moved is that lock and not a fresh one of a third process. */
function takeOver(file: string, dead: LockHolder): void {
  const aside = `${file}.stale-${process.pid}`;
  try {
    fs.renameSync(file, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const moved = readLock(aside);
  if (moved && moved.token !== dead.token) {
    try { fs.linkSync(aside, file); } catch { /* a third process locked meanwhile: it holds it */ }
  }
  fs.rmSync(aside, { force: true });
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
