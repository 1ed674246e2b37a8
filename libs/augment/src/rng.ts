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
  // State kept as int32 in a typed array: uint32 values in closure variables would be boxed heap numbers
  // and make every draw allocate (10x slower in hot augmentation loops). Same stream as plain uint32 math.
  const s = new Int32Array(4);
  s[0] = restore ? restore[0] : init();
  s[1] = restore ? restore[1] : init();
  s[2] = restore ? restore[2] : init();
  s[3] = restore ? restore[3] : init();
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;

  const nextU32 = (): number => {
    const b = s[1];
    const x = Math.imul(b, 5);
    const result = Math.imul((x << 7) | (x >>> 25), 9) >>> 0;
    const t = b << 9;
    s[2] ^= s[0];
    s[3] ^= b;
    s[1] = b ^ s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    const d = s[3];
    s[3] = (d << 11) | (d >>> 21);
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
    state: () => [s[0] >>> 0, s[1] >>> 0, s[2] >>> 0, s[3] >>> 0],
  };
  return rng;
}
