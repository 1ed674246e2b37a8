// Content hashes: canonical JSON (sorted keys) and sha256 of strings, bytes, files and source trees.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { sourcesHash } from '../stages/inputs.mjs';

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object' && !(v instanceof Uint8Array)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Streams the file through sha256 (bounded memory). */
export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of fs.createReadStream(file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Hash of the source files under the given files/folders (paths relative to `root` enter the hash): the same files
 * that the Nx targets hash for the stage (stages/inputs.mjs lists them for both).
 */
export function codeHash(root: string, dirs: readonly string[]): string {
  return sourcesHash(root, dirs);
}
