// manifest.json of a stage folder: what produced it (config sections, upstream manifests, code,
// backend) and what it holds (sha256 and row count of every file). Readers check all of it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { canonicalJson, sha256, sha256File } from './hash.ts';

export const SCHEMA_VERSION = 1;
export const STAGES = ['fetch', 'augment', 'encode', 'train', 'evaluate', 'report'] as const;
export type StageName = (typeof STAGES)[number];

export interface FileEntry {
  sha256: string;
  bytes: number;
  /** rows of an Arrow table; absent for other files */
  rows?: number;
}

export interface Manifest {
  kind: string;
  schemaVersion: number;
  stage: StageName;
  config: string;
  dataset: string;
  configHash: string;
  /** sha256 of each upstream stage's manifest.json */
  inputs: Record<string, string>;
  code: string;
  backend: { name: string; version: string; gemm?: string; precision?: string } | null;
  files: Record<string, FileEntry>;
  /** where the output came from when the stage did not compute it (a train artifact imported by `trm import-checkpoint`) */
  lineage?: Lineage;
  /** the config values behind configHash (the sections the stage uses), so that `trm status` can name changed keys */
  params?: Record<string, unknown>;
  /** train: how the run got here when not in one go under this key's code and backend (stages/train-runs.ts RunHistory) */
  history?: unknown;
}

/** A stage output brought in from outside: the file, its sha256 and what it held. */
export interface Lineage {
  imported: string;
  sha256: string;
  format: string;
  /** element types of the tensors in the file */
  dtypes: string[];
  /** the keys had torch.compile's `_orig_mod.` prefix */
  compiled: boolean;
  warnings?: string[];
}

/** What a manifest says beyond its key and files: recorded, not compared by `isUpToDate`. */
export type ManifestNotes = Pick<Manifest, 'lineage' | 'params' | 'history'>;

/** What a stage must match to be up to date (everything in the manifest but its files and notes). */
export type ManifestKey = Omit<Manifest, 'kind' | 'schemaVersion' | 'files' | keyof ManifestNotes>;

export class ArtifactError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArtifactError';
  }
}

export function manifestText(m: Manifest): string {
  return JSON.stringify(JSON.parse(canonicalJson(m)), null, 2) + '\n';
}

export function stageDir(artifacts: string, config: string, stage: StageName): string {
  return path.join(artifacts, config, stage);
}

/** How to rebuild a stage's folder, for error messages. */
export function runHint(stage: string, config: string): string {
  return `run \`trm ${stage} --config ${config}\` (or \`npx nx run pipeline:${stage} --config ${config}\`)`;
}

/** Reads and checks manifest.json of a stage folder: kind and schema version. */
export function readManifest(dir: string, stage: StageName, config: string): { manifest: Manifest; hash: string } {
  const file = path.join(dir, 'manifest.json');
  if (!fs.existsSync(file)) throw new ArtifactError(`${dir}: the ${stage} stage has not been run for config ${config} (no manifest.json); ${runHint(stage, config)}`);
  const text = fs.readFileSync(file, 'utf8');
  let m: Manifest;
  try {
    m = JSON.parse(text) as Manifest;
  } catch (e) {
    throw new ArtifactError(`${file}: corrupt manifest (${(e as Error).message}); ${runHint(stage, config)}`);
  }
  if (m.kind !== `trm.${stage}`) throw new ArtifactError(`${file}: kind is ${JSON.stringify(m.kind)}, expected "trm.${stage}"`);
  if (m.schemaVersion !== SCHEMA_VERSION) throw new ArtifactError(`${file}: schemaVersion ${m.schemaVersion}, this pipeline reads ${SCHEMA_VERSION}; ${runHint(stage, config)}`);
  return { manifest: m, hash: sha256(text) };
}

/** Checks every listed file: present, same size, same sha256. */
export async function verifyFiles(dir: string, m: Manifest): Promise<void> {
  for (const [name, entry] of Object.entries(m.files)) {
    const f = path.join(dir, name);
    if (!fs.existsSync(f)) throw new ArtifactError(`${f}: missing (listed in ${path.join(dir, 'manifest.json')}); ${runHint(m.stage, m.config)}`);
    const size = fs.statSync(f).size;
    if (size !== entry.bytes) throw new ArtifactError(`${f}: ${size} bytes, manifest says ${entry.bytes} (truncated or modified); ${runHint(m.stage, m.config)}`);
    const h = await sha256File(f);
    if (h !== entry.sha256) throw new ArtifactError(`${f}: sha256 ${h.slice(0, 12)}… does not match the manifest (${entry.sha256.slice(0, 12)}…): corrupted or modified; ${runHint(m.stage, m.config)}`);
  }
}

/** True when `dir` holds a complete, verified artifact produced from exactly `key`. */
export async function isUpToDate(dir: string, key: ManifestKey): Promise<boolean> {
  let m: Manifest;
  try {
    m = readManifest(dir, key.stage, key.config).manifest;
  } catch {
    return false;
  }
  const { kind: _k, schemaVersion: _v, files: _f, lineage: _l, params: _p, history: _h, ...have } = m;
  if (canonicalJson(have) !== canonicalJson(key)) return false;
  try {
    await verifyFiles(dir, m);
  } catch {
    return false;
  }
  return true;
}
