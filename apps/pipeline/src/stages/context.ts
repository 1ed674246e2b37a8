// What every stage gets, and the skip-or-produce logic shared by all stages.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ResolvedConfig } from '../config/load.ts';
import type { ResolvedDataset } from '../registry.ts';
import { canonicalJson, codeHash, sha256 } from '../artifacts/hash.ts';
import { isUpToDate, readManifest, stageDir, verifyFiles, type Manifest, type ManifestKey, type StageName } from '../artifacts/manifest.ts';
import { writeStage } from '../artifacts/stage-writer.ts';
import { log } from '../io/progress.ts';

export interface StageContext {
  config: ResolvedConfig;
  dataset: ResolvedDataset;
  root: string;
  artifacts: string;
  /** rerun even when the manifest matches */
  force?: boolean;
  /** report only: another config whose run the report compares with (`trm report --compare OTHER`) */
  compare?: string;
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

export interface StageSpec {
  stage: StageName;
  /** the config sections (top-level keys) this stage's output depends on */
  sections: (keyof ResolvedConfig)[];
  /** upstream stages whose manifests are inputs */
  inputs: StageName[];
  /** source folders/files (relative to the root) besides the dataset lib when `usesDataset` */
  code: string[];
  usesDataset: boolean;
  backend?: { name: string; version: string; gemm?: string } | null;
}

export function stageKey(ctx: StageContext, spec: StageSpec): ManifestKey {
  const sections = Object.fromEntries(spec.sections.map((s) => [s, ctx.config[s]]));
  const inputs: Record<string, string> = {};
  for (const s of spec.inputs) inputs[s] = readManifest(stageDir(ctx.artifacts, ctx.config.name, s), s, ctx.config.name).hash;
  const code = codeHash(ctx.root, [...spec.code, ...(spec.usesDataset ? ctx.dataset.sources : [])]);
  return { stage: spec.stage, config: ctx.config.name, dataset: ctx.config.dataset, configHash: sha256(canonicalJson(sections)), inputs, code, backend: spec.backend ?? null };
}

/** Skips when the stage folder already matches its inputs; otherwise produces it atomically. */
export async function runStage(ctx: StageContext, spec: StageSpec, produce: (tmp: string, key: ManifestKey) => Promise<Record<string, unknown> | void>): Promise<StageResult> {
  for (const s of spec.inputs) await upstream(ctx, s);
  const key = stageKey(ctx, spec);
  const dir = stageDir(ctx.artifacts, ctx.config.name, spec.stage);
  if (!ctx.force && (await isUpToDate(dir, key))) {
    log(`${spec.stage}: up to date (${path.relative(process.cwd(), dir) || dir})`);
    return { stage: spec.stage, dir, skipped: true, manifest: readManifest(dir, spec.stage, ctx.config.name).manifest };
  }
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const manifest = await writeStage(dir, key, (tmp) => produce(tmp, key));
  log(`${spec.stage}: wrote ${path.relative(process.cwd(), dir) || dir} (${Object.entries(manifest.files).map(([f, e]) => (e.rows !== undefined ? `${f} ${e.rows} rows` : f)).join(', ')})`);
  return { stage: spec.stage, dir, skipped: false, manifest };
}

export const DATA_CODE = ['libs/dataset/src', 'libs/augment/src', 'apps/pipeline/src/stages/tables.ts', 'apps/pipeline/src/artifacts/arrow-table.ts'];
