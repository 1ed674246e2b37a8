// Opening a finished stage folder for reading: manifest checked, files verified, typed readers.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openArrowFile, type Row } from './arrow-table.ts';
import { ArtifactError, readManifest, stageDir, verifyFiles, type Manifest, type StageName } from './manifest.ts';

export interface OpenedStage {
  dir: string;
  manifest: Manifest;
  /** sha256 of manifest.json (what downstream manifests list as an input) */
  hash: string;
  /** absolute path of a listed file; throws if the manifest does not list it */
  file(name: string): string;
  /** all rows of a listed Arrow table (use `openArrowFile` to stream large ones) */
  rows(name: string): Promise<Row[]>;
  /** schema metadata of a listed Arrow table */
  metadata(name: string): Promise<Record<string, string>>;
  json<T = unknown>(name: string): T;
}

/** Opens artifacts/<config>/<stage>; fails naming the stage to run when it is missing or stale. */
export async function openStage(artifacts: string, config: string, stage: StageName, opts: { verify?: boolean } = {}): Promise<OpenedStage> {
  const dir = stageDir(artifacts, config, stage);
  const { manifest, hash } = readManifest(dir, stage, config);
  if (opts.verify !== false) await verifyFiles(dir, manifest);
  const file = (name: string) => {
    if (!manifest.files[name]) throw new ArtifactError(`${dir}: no ${name} in this ${stage} artifact (has ${Object.keys(manifest.files).join(', ')})`);
    return path.join(dir, name);
  };
  return {
    dir,
    manifest,
    hash,
    file,
    rows: (name) => readTable(file(name)),
    metadata: async (name) => {
      const { info, close } = await openArrowFile(file(name));
      await close();
      return info.metadata;
    },
    json: <T>(name: string) => readJsonFile<T>(file(name)),
  };
}

export async function readTable(file: string): Promise<Row[]> {
  const { batches } = await openArrowFile(file);
  const out: Row[] = [];
  for await (const b of batches) for (const r of b) out.push(r);
  return out;
}

export function readJsonFile<T = unknown>(file: string): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new ArtifactError(`${file}: unreadable JSON (${(e as Error).message})`);
  }
}
