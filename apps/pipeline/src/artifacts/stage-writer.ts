// Atomic stage output: everything is written to `<stage>.tmp-<pid>` and renamed into place with
// its manifest; on error the temporary folder is removed and the previous output stays as it was.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openArrowFile } from './arrow-table.ts';
import { sha256File } from './hash.ts';
import { FileError, fileError } from '../io/fs-errors.ts';
import { pidAlive } from '../io/temporaries.ts';
import { onExit } from '../run/signals.ts';
import { SCHEMA_VERSION, manifestText, type FileEntry, type Manifest, type ManifestKey, type ManifestNotes } from './manifest.ts';

async function describeFile(file: string): Promise<FileEntry> {
  const entry: FileEntry = { sha256: await sha256File(file), bytes: fs.statSync(file).size };
  if (file.endsWith('.arrow')) {
    let rows = 0;
    const { batches } = await openArrowFile(file);
    for await (const b of batches) rows += b.length;
    entry.rows = rows;
  }
  return entry;
}

function listFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of fs.readdirSync(dir).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    const p = path.join(dir, name);
    if (fs.statSync(p).isDirectory()) out.push(...listFiles(p, rel));
    else if (rel !== 'manifest.json' && rel !== 'run.json') out.push(rel);
  }
  return out;
}

/** Removes `<stage>.tmp-<pid>` / `<stage>.old-<pid>` folders left by processes that were killed. */
export function removeStaleTemporaries(dir: string): string[] {
  const parent = path.dirname(dir);
  if (!fs.existsSync(parent)) return [];
  const re = new RegExp(`^${path.basename(dir).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(tmp|old)-(\\d+)$`);
  const removed: string[] = [];
  for (const name of fs.readdirSync(parent)) {
    const m = re.exec(name);
    if (!m || pidAlive(Number(m[2]))) continue; // pidAlive: this process too
    fs.rmSync(path.join(parent, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Runs `produce(tmpDir, notes)`, then hashes every file it wrote, writes manifest.json (the key, the files, and the
 * `notes` as produce left them: params, a train run's history, an imported output's lineage) and run.json (`run` plus
 * wall time, not hashed) and renames the folder to `dir`. Returns the manifest.
 */
export async function writeStage(dir: string, key: ManifestKey, produce: (tmp: string, notes: ManifestNotes) => Promise<Record<string, unknown> | void>, notes: ManifestNotes = {}): Promise<Manifest> {
  const tmp = `${dir}.tmp-${process.pid}`;
  const old = `${dir}.old-${process.pid}`;
  removeStaleTemporaries(dir);
  fs.rmSync(tmp, { recursive: true, force: true });
  try {
    fs.mkdirSync(tmp, { recursive: true });
  } catch (e) {
    throw fileError(e, 'create the folder', tmp);
  }
  // a signal that ends the process mid-stage leaves no temporary folder behind
  const forget = onExit(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const started = Date.now();
  try {
    const run = (await produce(tmp, notes)) ?? {};
    const files: Record<string, FileEntry> = {};
    for (const rel of listFiles(tmp)) files[rel] = await describeFile(path.join(tmp, rel));
    const manifest: Manifest = { kind: `trm.${key.stage}`, schemaVersion: SCHEMA_VERSION, ...key, files, ...Object.fromEntries(Object.entries(notes).filter(([, v]) => v !== undefined)) };
    fs.writeFileSync(path.join(tmp, 'manifest.json'), manifestText(manifest));
    fs.writeFileSync(path.join(tmp, 'run.json'), JSON.stringify({ ...run, stage: key.stage, config: key.config, seconds: (Date.now() - started) / 1000, finished: new Date().toISOString(), pid: process.pid }, null, 2) + '\n');
    if (fs.existsSync(dir)) fs.renameSync(dir, old);
    fs.renameSync(tmp, dir);
    fs.rmSync(old, { recursive: true, force: true });
    return manifest;
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    if (!fs.existsSync(dir) && fs.existsSync(old)) fs.renameSync(old, dir);
    // Node's errors for writes through a descriptor name no file (`ENOSPC: no space left on device, write`)
    const err = e as NodeJS.ErrnoException;
    if (err?.code && !err.path && !(e instanceof FileError)) throw fileError(e, `write the ${key.stage} stage into`, tmp);
    throw e;
  } finally {
    forget();
  }
}

/** Writes a file atomically (temp file + rename) — for checkpoints inside a long stage. */
export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}
