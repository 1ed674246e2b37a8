// A folder of verified checkpoints, one sub-folder per step:
//
//   <dir>/step-<N>/       the checkpoint's files (any names) and checkpoint.json: the step, what the caller records
//                         about the run (`info`), and the sha256 and size of every file
//   <dir>/latest.json     {"step": N}: the newest complete checkpoint
//
// A checkpoint is written to step-<N>.tmp-<pid>/, flushed to disk and renamed into place, then latest.json is
// replaced atomically, then all but the newest `keep` (at least 2) are removed. Opening one reads and checks every
// file against checkpoint.json; a damaged one is set aside as step-<N>.damaged (never used, never deleted) and the
// next older one is tried. A missing or broken latest.json is rebuilt from the folders present. Temporaries of
// processes that are gone are removed when the store opens.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileError, fileError, formatBytes, freeBytes, syncDir, writeFileAtomicSynced, writeFileSynced } from './fs-errors.ts';
import { removeDeadTemporaries } from './temporaries.ts';

export const CHECKPOINT_KIND = 'trm.checkpoint';
/** the record of a checkpoint folder (its files' sizes and hashes, the step, what the caller records) */
export const CHECKPOINT_RECORD = 'checkpoint.json';
const RECORD = CHECKPOINT_RECORD;
const LATEST = 'latest.json';
const STEP_DIR = /^step-(\d+)$/;
const DAMAGED_DIR = /^step-(\d+)\.damaged(-\d+)?$/;

export interface CheckpointFileEntry {
  sha256: string;
  bytes: number;
}

export interface CheckpointRecord<I = unknown> {
  kind: typeof CHECKPOINT_KIND;
  version: 1;
  step: number;
  /** what the writer records about the run: its key, where it came from, ... */
  info: I;
  files: Record<string, CheckpointFileEntry>;
}

/** A checkpoint whose files were read and verified. */
export interface OpenedCheckpoint<I = unknown> {
  step: number;
  dir: string;
  record: CheckpointRecord<I>;
  files: Record<string, Uint8Array>;
}

/** A checkpoint folder as listed (not verified): its record, or why it cannot be read. */
export interface CheckpointEntry<I = unknown> {
  step: number;
  dir: string;
  record: CheckpointRecord<I> | null;
  problem?: string;
}

export interface CheckpointStoreOptions {
  /** complete checkpoints kept after each write, newest first (at least 2) */
  keep?: number;
  log?: (message: string) => void;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export class CheckpointStore<I = unknown> {
  readonly keep: number;
  private readonly log: (message: string) => void;

  constructor(readonly dir: string, opts: CheckpointStoreOptions = {}) {
    this.keep = Math.max(2, opts.keep ?? 2);
    this.log = opts.log ?? (() => {});
  }

  exists(): boolean {
    return fs.existsSync(this.dir);
  }

  /** Complete checkpoint folders (step-<N>), oldest first, with their records (not verified). */
  list(): CheckpointEntry<I>[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.dir);
    } catch {
      return [];
    }
    const out: CheckpointEntry<I>[] = [];
    for (const name of names) {
      const m = STEP_DIR.exec(name);
      if (!m) continue;
      const dir = path.join(this.dir, name);
      const step = Number(m[1]);
      try {
        out.push({ step, dir, record: this.readRecord(dir, step) });
      } catch (e) {
        out.push({ step, dir, record: null, problem: (e as Error).message });
      }
    }
    return out.sort((a, b) => a.step - b.step);
  }

  /** Folders set aside as damaged. */
  damaged(): string[] {
    try {
      return fs.readdirSync(this.dir).filter((n) => DAMAGED_DIR.test(n)).sort().map((n) => path.join(this.dir, n));
    } catch {
      return [];
    }
  }

  private readRecord(dir: string, step: number): CheckpointRecord<I> {
    const file = path.join(dir, RECORD);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      throw fileError(e, 'read', file);
    }
    let r: CheckpointRecord<I>;
    try {
      r = JSON.parse(text) as CheckpointRecord<I>;
    } catch (e) {
      throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
    }
    if (r?.kind !== CHECKPOINT_KIND || r.version !== 1) throw new Error(`${file}: kind ${JSON.stringify(r?.kind)} version ${JSON.stringify(r?.version)}, expected ${CHECKPOINT_KIND} version 1`);
    if (r.step !== step) throw new Error(`${file}: records step ${r.step}, but the folder is step-${step}`);
    if (!r.files || typeof r.files !== 'object') throw new Error(`${file}: no file list`);
    return r;
  }

  /** Reads every file of checkpoint `step` and checks it against checkpoint.json; throws saying what is wrong. */
  open(step: number): OpenedCheckpoint<I> {
    const dir = path.join(this.dir, `step-${step}`);
    const record = this.readRecord(dir, step);
    const files: Record<string, Uint8Array> = {};
    for (const [name, entry] of Object.entries(record.files)) {
      const file = path.join(dir, name);
      let bytes: Uint8Array;
      try {
        bytes = new Uint8Array(fs.readFileSync(file));
      } catch (e) {
        throw fileError(e, 'read', file);
      }
      if (bytes.length !== entry.bytes) throw new Error(`${file}: ${bytes.length} bytes, checkpoint.json says ${entry.bytes} (truncated or modified)`);
      const h = sha256(bytes);
      if (h !== entry.sha256) throw new Error(`${file}: sha256 ${h.slice(0, 12)}… does not match checkpoint.json (${entry.sha256.slice(0, 12)}…): corrupted or modified`);
      files[name] = bytes;
    }
    return { step, dir, record, files };
  }

  /**
   * The newest checkpoint that verifies, among those with step <= `maxStep` that `accept` takes. Damaged ones met on
   * the way are set aside with a message; latest.json is checked and rebuilt when it is wrong. Null when none is left.
   */
  latest(opts: { maxStep?: number; accept?: (record: CheckpointRecord<I>) => boolean } = {}): OpenedCheckpoint<I> | null {
    if (!this.exists()) return null;
    removeDeadTemporaries(this.dir);
    this.checkLatestFile();
    const entries = this.list().reverse();
    let setAside = false;
    for (const e of entries) {
      if (opts.maxStep !== undefined && e.step > opts.maxStep) continue;
      if (e.record && opts.accept && !opts.accept(e.record)) continue;
      try {
        if (!e.record) throw new Error(e.problem);
        const opened = this.open(e.step);
        if (setAside) this.checkLatestFile(true);
        return opened;
      } catch (err) {
        const aside = this.setAside(e.dir);
        setAside = true;
        const older = entries.find((o) => o.step < e.step && o.record);
        this.log(`checkpoint: ${(err as Error).message}; the checkpoint of step ${e.step} is damaged, set aside as ${aside}${older ? `; trying step ${older.step}` : ''}`);
      }
    }
    this.checkLatestFile(setAside);
    return null;
  }

  /** What is wrong with latest.json (null: nothing), and the newest complete checkpoint's step. Changes nothing. */
  latestProblem(): { problem: string | null; newest: number | null } {
    const file = path.join(this.dir, LATEST);
    const newest = this.list().filter((e) => e.record).at(-1)?.step ?? null;
    let problem: string | null = null;
    let text: string | null = null;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') problem = `cannot be read (${code})`;
      else if (newest !== null) problem = 'is missing';
    }
    if (text !== null) {
      let v: unknown;
      try {
        v = JSON.parse(text);
      } catch (e) {
        v = undefined;
        problem = `is not valid JSON (${(e as Error).message})`;
      }
      if (!problem) {
        const step = (v as { step?: unknown })?.step;
        if (!Number.isInteger(step) || (step as number) < 0) problem = `holds ${text.trim().slice(0, 60)}, not {"step": N}`;
        else if (step !== newest) problem = newest === null ? `names step ${step}, but no complete checkpoint is left` : `names step ${step}, but the newest complete checkpoint is step ${newest}`;
      }
    }
    return { problem, newest };
  }

  /**
   * latest.json, validated against the folders present; rebuilt (with a message unless `quiet`: after setting a
   * damaged checkpoint aside, which has its own message) when missing, broken or wrong. Returns the newest step.
   */
  checkLatestFile(quiet = false): number | null {
    const file = path.join(this.dir, LATEST);
    const { problem, newest } = this.latestProblem();
    if (!problem) return newest;
    if (newest === null) {
      fs.rmSync(file, { recursive: true, force: true });
      if (!quiet) this.log(`checkpoint: ${file} ${problem}; removed it (no checkpoint to point to)`);
    } else {
      if (fs.existsSync(file) && fs.statSync(file).isDirectory()) fs.rmSync(file, { recursive: true, force: true });
      writeFileAtomicSynced(file, JSON.stringify({ step: newest }) + '\n');
      if (!quiet) this.log(`checkpoint: ${file} ${problem}; rebuilt from the checkpoints present: step ${newest}`);
    }
    return newest;
  }

  /** Writes checkpoint `step` atomically, then latest.json, then removes all but the newest `keep`. */
  write(step: number, files: Record<string, string | Uint8Array>, info: I): CheckpointRecord<I> {
    if (!Number.isInteger(step) || step < 0) throw new Error(`checkpoint: step ${step} is not an integer >= 0`);
    for (const name of Object.keys(files)) {
      if (name === RECORD || name.includes('/') || name.includes('\\') || name.startsWith('.')) throw new Error(`checkpoint: file name ${JSON.stringify(name)} is not allowed`);
    }
    try {
      fs.mkdirSync(this.dir, { recursive: true });
    } catch (e) {
      throw fileError(e, 'create the folder', this.dir);
    }
    const final = path.join(this.dir, `step-${step}`);
    const tmp = `${final}.tmp-${process.pid}`;
    const old = `${final}.old-${process.pid}`;
    const bytes = Object.fromEntries(Object.entries(files).map(([n, d]) => [n, typeof d === 'string' ? new Uint8Array(Buffer.from(d)) : d]));
    const total = Object.values(bytes).reduce((s, b) => s + b.length, 0);
    const record: CheckpointRecord<I> = {
      kind: CHECKPOINT_KIND, version: 1, step, info,
      files: Object.fromEntries(Object.entries(bytes).sort(([a], [b]) => (a < b ? -1 : 1)).map(([n, b]) => [n, { sha256: sha256(b), bytes: b.length }])),
    };
    try {
      fs.rmSync(tmp, { recursive: true, force: true });
      try {
        fs.mkdirSync(tmp);
      } catch (e) {
        throw fileError(e, 'create the folder', tmp);
      }
      for (const [name, b] of Object.entries(bytes)) writeFileSynced(path.join(tmp, name), b);
      writeFileSynced(path.join(tmp, RECORD), JSON.stringify(record, null, 2) + '\n');
      syncDir(tmp);
      if (fs.existsSync(final)) fs.renameSync(final, old);
      fs.renameSync(tmp, final);
      fs.rmSync(old, { recursive: true, force: true });
      syncDir(this.dir);
    } catch (e) {
      fs.rmSync(tmp, { recursive: true, force: true });
      if (!fs.existsSync(final) && fs.existsSync(old)) fs.renameSync(old, final);
      if (e instanceof FileError && e.code === 'ENOSPC') {
        const free = freeBytes(this.dir);
        throw new FileError(`cannot write the checkpoint of step ${step} to ${final}: no space left on device; it needs ${formatBytes(total)}${free !== null ? `, ${formatBytes(free)} is free there` : ''}; free some space (or point TRM_ARTIFACTS at a larger disk) and rerun to resume from the last checkpoint`, 'ENOSPC', final);
      }
      throw e instanceof FileError ? e : fileError(e, 'write the checkpoint', final, total);
    }
    writeFileAtomicSynced(path.join(this.dir, LATEST), JSON.stringify({ step }) + '\n');
    this.prune();
    return record;
  }

  /** Removes all but the newest `keep` complete checkpoints (damaged ones set aside are left alone). */
  prune(): void {
    const complete = this.list().filter((e) => e.record);
    for (const e of complete.slice(0, Math.max(0, complete.length - this.keep))) fs.rmSync(e.dir, { recursive: true, force: true });
  }

  /** Removes the whole folder. */
  removeAll(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Removes the checkpoints and latest.json but not what was set aside as damaged; the folder too when that leaves it empty. */
  removeCheckpoints(): void {
    for (const e of this.list()) fs.rmSync(e.dir, { recursive: true, force: true });
    fs.rmSync(path.join(this.dir, LATEST), { recursive: true, force: true });
    if (this.exists()) removeDeadTemporaries(this.dir);
    if (this.exists() && fs.readdirSync(this.dir).length === 0) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  private setAside(dir: string): string {
    let aside = `${dir}.damaged`;
    for (let i = 2; fs.existsSync(aside); i++) aside = `${dir}.damaged-${i}`;
    try {
      fs.renameSync(dir, aside);
    } catch (e) {
      throw fileError(e, 'set aside the damaged checkpoint', dir);
    }
    return aside;
  }
}
