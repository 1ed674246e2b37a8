// The catalog at work for one config: where each entry of entries.mjs lives, the opened inputs a stage receives, and
// the writing of the outputs it returns. A stage is a function from its inputs to its outputs (Kedro's node): it
// never spells a path, and reads or writes only the entries its declaration (stages/declarations.mjs) lists, which
// this module enforces.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SourceIO } from '@trm/dataset';
import { ArtifactError, readManifest, stageDir, type Manifest, type ManifestKey, type ManifestNotes, type StageName } from '../artifacts/manifest.ts';
import { createSourceIO } from '../io/source-io.ts';
import { runStage, type StageContext, type StageResult } from '../stages/context.ts';
import { stageDeclaration, type StageDeclaration } from '../stages/declarations.mjs';
import { catalogEntry, entryFolder, type CatalogEntry } from './entries.mjs';
import { fileContent, readJson, safetensorsInput, tableInput, writeOutput, type Output, type SafetensorsInput, type TableInput } from './formats.ts';

export { files, json, jsonText, safetensors, safetensorsBytes, table, text } from './formats.ts';
export type { Output, SafetensorsInput, TableInput, TableOutput } from './formats.ts';

export { entryFolder, entryName } from './entries.mjs';

/** The file of an entry for a config. */
export function entryPath(artifacts: string, config: string, id: string): string {
  return path.join(entryFolder(artifacts, config, id), catalogEntry(id).path);
}

/** Where the dataset libs' HTTPS downloads are cached, shared by every config. */
export function downloadsFolder(artifacts: string): string {
  return path.join(artifacts, '_downloads');
}

/** An upstream stage as a whole: its manifest (files, rows, key) and run record (timings, workers; not hashed). */
export interface StageRecord {
  stage: StageName;
  manifest: Manifest;
  /** sha256 of manifest.json */
  hash: string;
  /** run.json, or null */
  run: Record<string, unknown> | null;
}

/** What a stage reads, opened: only the entries its declaration lists. */
export interface Inputs {
  table(id: string): TableInput;
  json<T = unknown>(id: string): T;
  /** null when the upstream stage did not write the entry (encode.aux; files of older runs) */
  optionalJson<T = unknown>(id: string): T | null;
  safetensors(id: string): SafetensorsInput;
  /** where an entry it reads is, for messages */
  name(id: string): string;
  /** whether the upstream stage wrote an entry it reads (an optional one: encode.aux, train.evals) */
  has(id: string): boolean;
  /** sha256 of an entry it reads, as the upstream manifest records it */
  sha256(id: string): string;
  /** an upstream stage's manifest and run record */
  stage(name: StageName): StageRecord;
  /** this stage's previous output of one of its entries (kept across runs, e.g. the report's history), or null */
  previous<T = unknown>(id: string): T | null;
  /** an entry of another config's run (report --compare): its manifest, and the entry read as JSON */
  ofConfig(config: string, id: string): { manifest: Manifest; value: unknown; name: string };
  /** the files and downloads a dataset lib's fetch reads through (fetch only) */
  source(): SourceIO;
}

function recordOf(dir: string, stage: StageName, config: string): StageRecord {
  const { manifest, hash } = readManifest(dir, stage, config);
  let run: Record<string, unknown> | null = null;
  try {
    run = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as Record<string, unknown>;
  } catch { /* no run record: older folder or copied without it */ }
  return { stage, manifest, hash, run };
}

/** The inputs of `decl` for this context (its upstream folders were checked before: runStage). */
export function openInputs(ctx: StageContext, decl: StageDeclaration): Inputs {
  const config = ctx.config.name;
  const records = new Map<StageName, StageRecord>();
  const stage = (name: StageName): StageRecord => {
    if (!decl.upstream.includes(name)) throw new Error(`catalog: the ${decl.name} stage does not declare ${name} as upstream (declarations.mjs)`);
    let r = records.get(name);
    if (!r) records.set(name, (r = recordOf(stageDir(ctx.artifacts, config, name), name, config)));
    return r;
  };
  const read = (id: string): { entry: CatalogEntry; file: string; listed: boolean; rows: number | null } => {
    if (!decl.reads.includes(id)) throw new Error(`catalog: the ${decl.name} stage does not declare that it reads ${id} (declarations.mjs)`);
    const entry = catalogEntry(id);
    const listed = stage(entry.stage).manifest.files[entry.path];
    const file = entryPath(ctx.artifacts, config, id);
    if (!listed && !entry.optional) throw new ArtifactError(`${path.dirname(file)}: this ${entry.stage} artifact has no ${entry.path} (made by an older pipeline?); rerun it: \`trm ${entry.stage} --config ${config} --force\``);
    return { entry, file, listed: !!listed, rows: listed?.rows ?? null };
  };
  const format = (id: string, entry: CatalogEntry, want: string) => {
    if (entry.format !== want) throw new Error(`catalog: ${id} is ${entry.format}, not ${want}`);
  };
  return {
    table(id) {
      const r = read(id);
      format(id, r.entry, 'arrow');
      return tableInput(r.file, r.rows);
    },
    json<T>(id: string) {
      const r = read(id);
      format(id, r.entry, 'json');
      return readJson<T>(r.file);
    },
    optionalJson<T>(id: string) {
      if (!decl.reads.includes(id)) read(id); // throws: not declared
      const entry = catalogEntry(id);
      format(id, entry, 'json');
      const listed = stage(entry.stage).manifest.files[entry.path];
      return listed ? readJson<T>(entryPath(ctx.artifacts, config, id)) : null;
    },
    safetensors(id) {
      const r = read(id);
      format(id, r.entry, 'safetensors');
      return safetensorsInput(r.file);
    },
    name: (id) => read(id).file,
    has(id) {
      if (!decl.reads.includes(id)) read(id); // throws: not declared
      const entry = catalogEntry(id);
      return !!stage(entry.stage).manifest.files[entry.path];
    },
    sha256(id) {
      const r = read(id);
      return stage(r.entry.stage).manifest.files[r.entry.path].sha256;
    },
    stage,
    previous<T>(id: string) {
      if (!decl.writes.includes(id)) throw new Error(`catalog: the ${decl.name} stage does not write ${id} (declarations.mjs)`);
      const file = entryPath(ctx.artifacts, config, id);
      if (!fs.existsSync(file)) return null;
      try {
        return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
      } catch {
        return null;
      }
    },
    ofConfig(other, id) {
      const entry = catalogEntry(id);
      const dir = stageDir(ctx.artifacts, other, entry.stage);
      const { manifest } = readManifest(dir, entry.stage, other);
      const file = entryPath(ctx.artifacts, other, id);
      if (!manifest.files[entry.path]) throw new ArtifactError(`${dir}: no ${entry.path} in this ${entry.stage} artifact`);
      return { manifest, value: readJson(file), name: file };
    },
    source() {
      if (decl.name !== 'fetch') throw new Error(`catalog: only fetch reads the dataset source, not ${decl.name}`);
      return createSourceIO(ctx.root, downloadsFolder(ctx.artifacts));
    },
  };
}

/** What a stage function returns: its outputs by catalog id, and what its run.json records (after the writing). */
export interface StageOutputs {
  outputs: Record<string, Output | undefined>;
  run?: Record<string, unknown> | (() => Record<string, unknown>);
}

/** Writes `outputs` into the stage's temporary folder, in the order of the declaration's `writes`. */
export async function saveOutputs(tmp: string, decl: StageDeclaration, outputs: Record<string, Output | undefined>): Promise<void> {
  for (const id of Object.keys(outputs)) {
    if (!decl.writes.includes(id)) throw new Error(`catalog: the ${decl.name} stage returned ${id}, which its declaration does not write (declarations.mjs)`);
  }
  const fixed = new Set(decl.writes.map((id) => catalogEntry(id)).filter((e) => e.format !== 'files' && !e.folder).map((e) => e.path));
  for (const id of decl.writes) {
    const entry = catalogEntry(id);
    const out = outputs[id];
    if (entry.folder) continue; // a folder of its own (checkpoints): written while the stage runs
    if (!out) {
      if (entry.optional || entry.format === 'files') continue;
      throw new Error(`catalog: the ${decl.name} stage returned no ${id} (${entry.path})`);
    }
    if (out.format !== entry.format) throw new Error(`catalog: ${id} is ${entry.format}; the ${decl.name} stage returned ${out.format}`);
    if (out.format === 'files') {
      const glob = new RegExp(`^${entry.path.replace(/[.+^$()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
      for (const [name, content] of Object.entries(out.files)) {
        if (!glob.test(name) || name.startsWith('.') || name.split('/').some((p) => p === '..' || p === '') || fixed.has(name) || ['manifest.json', 'run.json'].includes(name)) {
          throw new Error(`${decl.name}: a file named ${JSON.stringify(name)} does not fit ${id} (${entry.path}, not one of ${[...fixed].join(', ')})`);
        }
        fs.mkdirSync(path.dirname(path.join(tmp, name)), { recursive: true });
        fs.writeFileSync(path.join(tmp, name), fileContent(content, entry.indent));
      }
    } else {
      await writeOutput(path.join(tmp, entry.path), out, { indent: entry.indent });
    }
  }
}

/** What a stage function gets besides its inputs. */
export interface StageRun extends StageContext {
  /** the manifest key the output will have */
  key: ManifestKey;
  /** the stage's folder (its previous output, for messages and for train's resume: a finished run is a checkpoint) */
  dir: string;
  /** what the manifest records besides the key (train: the run's history) */
  notes: ManifestNotes;
  /** the folder of one of its `checkpoints` entries (train.checkpoints, evaluate.batches), written while it runs */
  checkpoints(id: string): string;
}

/** The folder of a `checkpoints` entry that `decl` writes, for a config. */
export function checkpointFolder(artifacts: string, config: string, decl: StageDeclaration, id: string): string {
  if (!decl.writes.includes(id)) throw new Error(`catalog: the ${decl.name} stage does not write ${id} (declarations.mjs)`);
  if (catalogEntry(id).format !== 'checkpoints') throw new Error(`catalog: ${id} is ${catalogEntry(id).format}, not checkpoints`);
  return entryFolder(artifacts, config, id);
}

export type StageFunction = (inputs: Inputs, run: StageRun) => Promise<StageOutputs>;

/** Runs a stage function through the catalog: upstream checked, skipped when up to date, outputs written atomically. */
export function runCatalogStage(ctx: StageContext, stage: StageName, fn: StageFunction): Promise<StageResult> {
  const decl = stageDeclaration(stage);
  return runStage(ctx, decl, async (tmp, key, notes) => {
    const dir = stageDir(ctx.artifacts, ctx.config.name, stage);
    const checkpoints = (id: string) => checkpointFolder(ctx.artifacts, ctx.config.name, decl, id);
    const { outputs, run } = await fn(openInputs(ctx, decl), { ...ctx, key, dir, notes, checkpoints });
    await saveOutputs(tmp, decl, outputs);
    return typeof run === 'function' ? run() : run;
  });
}
