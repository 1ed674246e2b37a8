// What every stage gets, the manifest key a stage's declaration (declarations.mjs) implies, whether a stage folder is
// up to date, and the skip-or-produce logic shared by all stages. The rule: a stage runs only on upstream folders that
// are up to date themselves (their own key and every stage before them), so a stale artifact is never built upon,
// whoever put it there (an older run, a copy, a cache).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResolvedConfig } from '../config/load.ts';
import type { ResolvedDataset } from '../registry.ts';
import { canonicalJson, codeHash, sha256 } from '../artifacts/hash.ts';
import { ArtifactError, isUpToDate, readManifest, runHint, stageDir, verifyFiles, type Manifest, type ManifestKey, type ManifestNotes, type StageName } from '../artifacts/manifest.ts';
import { writeStage } from '../artifacts/stage-writer.ts';
import { log } from '../io/progress.ts';
import { acquireLock, releaseLock } from '../run/lock.ts';
import { STAGES, stageDeclaration, stageUses, type StageDeclaration } from './declarations.mjs';
import { stageBackend } from './backend.ts';

export type { StageDeclaration };

export interface StageContext {
  config: ResolvedConfig;
  dataset: ResolvedDataset;
  root: string;
  artifacts: string;
  /** rerun even when the manifest matches */
  force?: boolean;
  /** report only: another config whose run the report compares with (`trm report --compare OTHER`) */
  compare?: string;
  /** train (and evaluate's finished batches): how to treat what an earlier run left (see stages/train-runs.ts) */
  resume?: ResumeOptions;
}

export interface ResumeOptions {
  /** discard the resumable checkpoint (and evaluate's finished batches) and start over */
  restart?: boolean;
  /** refuse to resume a checkpoint made by another implementation (code, backend, worker count) */
  strict?: boolean;
  /** continue from this checkpoint (a step folder, a run folder or id, or a finished train folder) under this config */
  from?: string;
}

export interface StageResult {
  stage: StageName;
  dir: string;
  skipped: boolean;
  manifest: Manifest;
}

export interface Upstream {
  dir: string;
  manifest: Manifest;
}

/** Reads and verifies (hashes included) the output of an upstream stage. */
export async function upstream(ctx: StageContext, stage: StageName): Promise<Upstream> {
  const dir = stageDir(ctx.artifacts, ctx.config.name, stage);
  const { manifest } = readManifest(dir, stage, ctx.config.name);
  await verifyFiles(dir, manifest);
  return { dir, manifest };
}

/** The manifest key the stage's output must have for this config, code and machine (upstream manifests as on disk). */
export async function stageKey(ctx: StageContext, stage: StageDeclaration | StageName): Promise<ManifestKey> {
  const decl = typeof stage === 'string' ? stageDeclaration(stage) : stage;
  const sections = stageParams(ctx, decl);
  const inputs: Record<string, string> = {};
  for (const s of decl.upstream) inputs[s] = readManifest(stageDir(ctx.artifacts, ctx.config.name, s), s, ctx.config.name).hash;
  const code = codeHash(ctx.root, [...decl.code, ...(stageUses(decl, ctx.config).dataset ? ctx.dataset.sources : [])]);
  const backend = decl.engine ? await stageBackend(ctx.config, decl.name) : null;
  return { stage: decl.name, config: ctx.config.name, dataset: ctx.config.dataset, configHash: sha256(canonicalJson(sections)), inputs, code, backend };
}

/** The config values of the sections a stage uses (what configHash hashes; the manifest keeps them as `params`). */
export function stageParams(ctx: StageContext, stage: StageDeclaration | StageName): Record<string, unknown> {
  const decl = typeof stage === 'string' ? stageDeclaration(stage) : stage;
  return Object.fromEntries(stageUses(decl, ctx.config).sections.map((s) => [s, ctx.config[s as keyof ResolvedConfig]]));
}

function flatten(v: unknown, prefix: string, out: Record<string, unknown>): Record<string, unknown> {
  if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  else out[prefix] = v;
  return out;
}

/** `train.lr: 0.001 -> 0.002` for every key that differs between two param sets. */
export function changedKeys(before: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const a = flatten(before, '', {});
  const b = flatten(now, '', {});
  const show = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort().filter((k) => canonicalJson(a[k]) !== canonicalJson(b[k])).map((k) => `${k}: ${show(a[k])} -> ${show(b[k])}`);
}

export interface StageState {
  stage: StageName;
  state: 'up to date' | 'stale' | 'missing' | 'damaged';
  /** what differs (stale), or the error (damaged) */
  why: string[];
  /** where the output came from when the stage did not compute it (`trm import-checkpoint`) */
  origin?: string;
}

/**
 * Whether each stage's folder is up to date: present, its files verified, its manifest equal to the key it would have
 * now, and every upstream stage up to date too. Stages are checked in declaration order, each once.
 */
export async function stageStates(ctx: StageContext, names: readonly StageName[] = STAGES.map((s) => s.name)): Promise<StageState[]> {
  const known = new Map<StageName, StageState>();
  const check = async (name: StageName): Promise<StageState> => {
    const seen = known.get(name);
    if (seen) return seen;
    const decl = stageDeclaration(name);
    const ups: StageState[] = [];
    for (const u of decl.upstream) ups.push(await check(u));
    const state = await ownState(ctx, decl, ups);
    known.set(name, state);
    return state;
  };
  const out: StageState[] = [];
  for (const n of names) out.push(await check(n));
  return out;
}

/** Folders whose files were verified in this process, with the size and mtime of each file then. */
const verified = new Map<string, string>();

/** verifyFiles, skipped when this process already verified the same manifest and the files have not changed since. */
async function verifyOnce(dir: string, manifest: Manifest): Promise<void> {
  const stamp = (): string => canonicalJson([manifest, Object.keys(manifest.files).map((f) => {
    try {
      const st = fs.statSync(path.join(dir, f));
      return [st.size, st.mtimeMs];
    } catch {
      return null;
    }
  })]);
  const before = stamp();
  if (verified.get(dir) === before) return;
  await verifyFiles(dir, manifest);
  verified.set(dir, before);
}

async function ownState(ctx: StageContext, decl: StageDeclaration, ups: StageState[]): Promise<StageState> {
  const stage = decl.name;
  const dir = stageDir(ctx.artifacts, ctx.config.name, stage);
  let manifest: Manifest;
  try {
    manifest = readManifest(dir, stage, ctx.config.name).manifest;
    await verifyOnce(dir, manifest);
  } catch (e) {
    const missing = !fs.existsSync(path.join(dir, 'manifest.json'));
    return { stage, state: missing ? 'missing' : 'damaged', why: missing ? [] : [(e as Error).message] };
  }
  const notReady = ups.filter((u) => u.state !== 'up to date').map((u) => `upstream ${u.stage} is ${u.state}`);
  if (ups.some((u) => u.state === 'missing' || u.state === 'damaged')) return { stage, state: 'stale', why: notReady };
  const key = await stageKey(ctx, decl);
  const why = [...notReady];
  if (manifest.configHash !== key.configHash) {
    const changed = manifest.params ? changedKeys(manifest.params, stageParams(ctx, decl)) : [];
    why.push(changed.length ? changed.join(', ') : `config sections changed (${stageUses(decl, ctx.config).sections.join(', ')})`);
  }
  for (const [u, h] of Object.entries(key.inputs)) if (manifest.inputs[u] !== h) why.push(`upstream ${u} changed`);
  if (manifest.code !== key.code) why.push('code changed');
  if (canonicalJson(manifest.backend) !== canonicalJson(key.backend)) why.push(`backend changed (${canonicalJson(manifest.backend)} -> ${canonicalJson(key.backend)})`);
  if (manifest.dataset !== key.dataset) why.push(`dataset changed (${manifest.dataset} -> ${key.dataset})`);
  const origin = manifest.lineage ? `imported from ${manifest.lineage.imported} (sha256 ${manifest.lineage.sha256.slice(0, 12)}…)` : undefined;
  return { stage, state: why.length ? 'stale' : 'up to date', why, ...(origin ? { origin } : {}) };
}

/** Throws unless every upstream stage of `decl` is up to date (the rule above). */
export async function requireFreshUpstream(ctx: StageContext, decl: StageDeclaration): Promise<void> {
  if (!decl.upstream.length) return;
  for (const s of await stageStates(ctx, decl.upstream)) {
    if (s.state === 'up to date') continue;
    const dir = stageDir(ctx.artifacts, ctx.config.name, s.stage);
    if (s.state === 'missing') readManifest(dir, s.stage, ctx.config.name); // throws: "the fetch stage has not been run ..."
    if (s.state === 'damaged') throw new ArtifactError(s.why.join('; '));
    throw new ArtifactError(`${decl.name}: ${dir} is stale (${s.why.join('; ')}): the ${decl.name} stage does not build on it; ${runHint(s.stage, ctx.config.name)}`);
  }
}

/**
 * Skips when the stage folder already matches its inputs; otherwise takes the config's run lock (one writer per
 * config) and produces the folder atomically.
 */
export async function runStage(ctx: StageContext, decl: StageDeclaration | StageName, produce: (tmp: string, key: ManifestKey, notes: ManifestNotes) => Promise<Record<string, unknown> | void>): Promise<StageResult> {
  const d = typeof decl === 'string' ? stageDeclaration(decl) : decl;
  await requireFreshUpstream(ctx, d);
  const key = await stageKey(ctx, d);
  const dir = stageDir(ctx.artifacts, ctx.config.name, d.name);
  if (!ctx.force && (await isUpToDate(dir, key))) {
    log(`${d.name}: up to date (${path.relative(process.cwd(), dir) || dir})`);
    return { stage: d.name, dir, skipped: true, manifest: readManifest(dir, d.name, ctx.config.name).manifest };
  }
  acquireLock(ctx.artifacts, ctx.config.name, log);
  let manifest: Manifest;
  try {
    manifest = await writeStage(dir, key, (tmp, notes) => produce(tmp, key, notes), { params: stageParams(ctx, d) });
  } catch (e) {
    releaseLock(ctx.artifacts, ctx.config.name); // the command fails: nothing of it is left, the lock included
    throw e;
  }
  log(`${d.name}: wrote ${path.relative(process.cwd(), dir) || dir} (${Object.entries(manifest.files).map(([f, e]) => (e.rows !== undefined ? `${f} ${e.rows} rows` : f)).join(', ')})`);
  return { stage: d.name, dir, skipped: false, manifest };
}
