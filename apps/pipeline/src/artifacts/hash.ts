// Content hashes: canonical JSON (sorted keys) and sha256 of strings, bytes, files and source trees.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

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

function listSources(dir: string, out: string[]): void {
  if (!fs.existsSync(dir)) return;
  const st = fs.statSync(dir);
  if (st.isFile()) { out.push(dir); return; }
  for (const name of fs.readdirSync(dir).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = path.join(dir, name);
    if (fs.statSync(p).isDirectory()) listSources(p, out);
    else if (/\.(ts|js|mjs|json)$/.test(name) && !/\.test\.ts$/.test(name)) out.push(p);
  }
}

/** Hash of the non-test sources under the given files/folders (paths relative to `root` enter the hash). */
export function codeHash(root: string, dirs: readonly string[]): string {
  const files: string[] = [];
  for (const d of dirs) listSources(path.resolve(root, d), files);
  const h = createHash('sha256');
  for (const f of files) {
    h.update(path.relative(root, f).split(path.sep).join('/'));
    h.update('\0');
    h.update(fs.readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex');
}
