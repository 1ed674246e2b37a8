// The one place that names dataset libs. `dataset` in a config is a short name below, or a package
// name / file path of a module exporting a DatasetLib (as `default`, `dataset`, or any export).
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DatasetLib } from '@trm/dataset';
import { ConfigError } from './config/validate.ts';

const builtin: Record<string, { pkg: string; src: string }> = {
  sudoku: { pkg: '@trm/sudoku', src: 'libs/sudoku/src' },
  maze: { pkg: '@trm/maze', src: 'libs/maze/src' },
  arc: { pkg: '@trm/arc', src: 'libs/arc/src' },
};

export interface ResolvedDataset {
  lib: DatasetLib;
  /** files/folders (relative to the root) whose sources make up the dataset lib, for code hashes */
  sources: string[];
}

function isDatasetLib(v: unknown): v is DatasetLib {
  const d = v as DatasetLib;
  return !!d && typeof d === 'object' && typeof d.name === 'string' && typeof d.fetch === 'function'
    && typeof d.augment === 'function' && typeof d.encode === 'function' && typeof d.shape === 'function' && !!d.schema;
}

export function builtinDatasets(): string[] {
  return Object.keys(builtin);
}

export async function resolveDataset(name: string, root: string): Promise<ResolvedDataset> {
  const known = builtin[name];
  const isPath = name.startsWith('.') || name.startsWith('/');
  const spec = known ? known.pkg : isPath ? pathToFileURL(path.resolve(root, name)).href : name;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(spec)) as Record<string, unknown>;
  } catch (e) {
    throw new ConfigError(`dataset "${name}": cannot load ${spec} (${(e as Error).message}); expected one of ${builtinDatasets().join(', ')} or a package/path exporting a DatasetLib`);
  }
  const candidates = [mod.default, mod.dataset, ...Object.values(mod)].filter(isDatasetLib);
  const lib = candidates.find((c) => c.name === name) ?? candidates[0];
  if (!lib) throw new ConfigError(`dataset "${name}": ${spec} exports no DatasetLib (an object with name, schema, shape, fetch, augment, encode, ...)`);
  const sources = known ? [known.src] : isPath ? [path.relative(root, path.dirname(path.resolve(root, name)))] : [];
  return { lib, sources };
}
