// Loads the dataset lib a config names: a short name of stages/inputs.mjs's BUILTIN_DATASETS, or a package name or file
// path of a module exporting a DatasetLib (as `default`, `dataset`, or any export).
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DatasetLib } from '@trm/dataset';
import { ConfigError } from './config/validate.ts';
import { BUILTIN_DATASETS, locateDataset } from './stages/inputs.mjs';

export interface ResolvedDataset {
  lib: DatasetLib;
  /** folders (relative to the root) whose sources make up the dataset lib, for code hashes (stages/inputs.mjs) */
  sources: string[];
}

function isDatasetLib(v: unknown): v is DatasetLib {
  const d = v as DatasetLib;
  return !!d && typeof d === 'object' && typeof d.name === 'string' && typeof d.fetch === 'function'
    && typeof d.augment === 'function' && typeof d.encode === 'function' && typeof d.shape === 'function' && !!d.schema;
}

export function builtinDatasets(): string[] {
  return Object.keys(BUILTIN_DATASETS);
}

/** A package's entry as found from `root` (whose sources the code hash covers), else its bare name. */
function packageEntry(name: string, root: string): string {
  try {
    return pathToFileURL(createRequire(path.join(root, 'package.json')).resolve(name)).href;
  } catch {
    return name;
  }
}

export async function resolveDataset(name: string, root: string): Promise<ResolvedDataset> {
  const where = locateDataset(name, root);
  const spec = where.kind === 'path' ? pathToFileURL(where.import).href : where.kind === 'package' ? packageEntry(where.import, root) : where.import;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(spec)) as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(`dataset "${name}": cannot load ${spec} (${(e as Error).message}); expected one of ${builtinDatasets().join(', ')} or a package/path exporting a DatasetLib`);
  }
  const candidates = [mod.default, mod.dataset, ...Object.values(mod)].filter(isDatasetLib);
  const lib = candidates.find((c) => c.name === name) ?? candidates[0];
  if (!lib) throw new ConfigError(`dataset "${name}": ${spec} exports no DatasetLib (an object with name, schema, shape, fetch, augment, encode, ...)`);
  return { lib, sources: where.sources };
}
