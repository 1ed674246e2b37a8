// Permutation helpers for hot augmentation loops: precomputed tables and allocation-free sampling.
import type { Rng } from './rng.ts';

const tables = new Map<number, Uint8Array[]>();

/** All k! permutations of 0..k-1 in lexicographic order (cached; k <= 8). */
export function permutationTable(k: number): readonly Uint8Array[] {
  if (!Number.isInteger(k) || k < 1 || k > 8) throw new RangeError(`permutationTable: k must be an integer in 1..8, got ${k}`);
  const hit = tables.get(k);
  if (hit) return hit;
  const out: Uint8Array[] = [];
  const current = new Uint8Array(k);
  const used = new Uint8Array(k);
  const build = (pos: number): void => {
    if (pos === k) { out.push(current.slice()); return; }
    for (let v = 0; v < k; v++) {
      if (used[v]) continue;
      used[v] = 1;
      current[pos] = v;
      build(pos + 1);
      used[v] = 0;
    }
  };
  build(0);
  tables.set(k, out);
  return out;
}

/**
 * Fill out[offset .. offset+k) with a uniformly random permutation of base .. base+k-1
 * (Fisher-Yates, no allocation). Returns `out`.
 */
export function randomPermutationInto<T extends Uint8Array | Int32Array>(rng: Rng, out: T, k: number, offset = 0, base = 0): T {
  for (let i = 0; i < k; i++) out[offset + i] = base + i;
  for (let i = k - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = out[offset + i];
    out[offset + i] = out[offset + j];
    out[offset + j] = tmp;
  }
  return out;
}

/** The inverse permutation: inverse[p[i]] = i. */
export function invertPermutation(p: ArrayLike<number>): Int32Array {
  const inv = new Int32Array(p.length).fill(-1);
  for (let i = 0; i < p.length; i++) {
    const v = p[i];
    if (!Number.isInteger(v) || v < 0 || v >= p.length || inv[v] !== -1) {
      throw new RangeError(`invertPermutation: not a permutation of 0..${p.length - 1}: [${Array.from(p).join(', ')}]`);
    }
    inv[v] = i;
  }
  return inv;
}
