// Where the repository, its configs and its artifacts live.
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the folder holding nx.json), overridable with TRM_ROOT for tests. */
export function workspaceRoot(): string {
  return process.env.TRM_ROOT ? path.resolve(process.env.TRM_ROOT) : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
}

export function configsDir(root = workspaceRoot()): string {
  return path.join(root, 'configs');
}

/** Artifacts root, overridable with TRM_ARTIFACTS. */
export function artifactsDir(root = workspaceRoot()): string {
  return process.env.TRM_ARTIFACTS ? path.resolve(process.env.TRM_ARTIFACTS) : path.join(root, 'artifacts');
}
