// Seeded, portable randomness: xoshiro128** seeded through splitmix32, so that the same seed
// gives the same stream on every platform and Node version.

export interface Rng {
  /** uniform 32-bit unsigned integer */
  nextU32(): number;
  /** uniform float in [0, 1) with 32 bits of randomness */
  next(): number;
  /** uniform integer in [0, n) (rejection sampling, no modulo bias) */
  int(n: number): number;
  /** Fisher-Yates shuffle in place; returns the array */
  shuffle<T>(items: T[] | Uint8Array | Int32Array | Uint32Array): typeof items;
  /** a random permutation of 0..n-1 */
  permutation(n: number): Int32Array;
  /** the full internal state, to save and restore */
  state(): [number, number, number, number];
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Derive an independent stream from a seed and any number of integer/string keys. */
export function deriveSeed(seed: number, ...keys: (number | string)[]): number {
  let h = (seed ^ 0x811c9dc5) >>> 0;
  for (const key of keys) {
    const text = String(key);
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
    h = Math.imul(h ^ 0xff, 0x01000193) >>> 0;
  }
  return splitmix32(h)();
}

export function createRng(seed: number, restore?: readonly number[]): Rng {
  const init = splitmix32(seed);
  let a = restore ? restore[0] >>> 0 : init();
  let b = restore ? restore[1] >>> 0 : init();
  let c = restore ? restore[2] >>> 0 : init();
  let d = restore ? restore[3] >>> 0 : init();
  if ((a | b | c | d) === 0) a = 1;

  const nextU32 = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5) >>> 0, 7), 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c = (c ^ t) >>> 0;
    d = rotl(d >>> 0, 11);
    a >>>= 0;
    b >>>= 0;
    return result;
  };
  const int = (n: number): number => {
    if (!(n > 0) || n > 0x100000000) throw new RangeError(`rng.int: n must be in 1..2^32, got ${n}`);
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const x = nextU32();
      if (x < limit) return x % n;
    }
  };
  const rng: Rng = {
    nextU32,
    next: () => nextU32() / 0x100000000,
    int,
    shuffle(items) {
      for (let i = items.length - 1; i > 0; i--) {
        const j = int(i + 1);
        const tmp = items[i];
        items[i] = items[j];
        items[j] = tmp;
      }
      return items;
    },
    permutation(n) {
      const p = new Int32Array(n);
      for (let i = 0; i < n; i++) p[i] = i;
      rng.shuffle(p);
      return p;
    },
    state: () => [a >>> 0, b >>> 0, c >>> 0, d >>> 0],
  };
  return rng;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
