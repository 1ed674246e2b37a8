// The bfloat16 GEMM of the native addon (native/gemm-bf16.cc): every kernel this CPU runs but neon-bf16 gives the
// bits of the plain reference (so avx512bf16 and fp32-fma agree bit for bit), the reference gives the bits of a JS
// model of its definition, and each kernel's result is the product of the bfloat16-rounded operands up to float32
// accumulation (neon-bf16, whose BFDOT rounds its own way, is checked only so, on arm64 CPUs with FEAT_BF16).
import { describe, expect, it } from 'vitest';
import { randomArray } from '../testing/test-util.ts';
import { nativeAddon, type Bf16Kernel, type NativeGemm } from './addon.ts';

function addon(): NativeGemm {
  const g = nativeAddon();
  if (!g) throw new Error('the native GEMM did not load on this machine (see stderr)');
  return g;
}

const u32 = new Uint32Array(1), f32 = new Float32Array(u32.buffer);
const bitsOf = (x: number): number => ((f32[0] = x), u32[0]);
const floatOf = (u: number): number => ((u32[0] = u >>> 0), f32[0]);

/** x rounded to bfloat16 in JS: nearest, ties to even, NaN to 0x7FC0 (what c10::BFloat16 does). */
function bf16(x: number): number {
  const u = bitsOf(x);
  if ((u & 0x7fffffff) > 0x7f800000) return floatOf(0x7fc00000);
  return floatOf(((u + 0x7fff + ((u >>> 16) & 1)) >>> 0) & 0xffff0000);
}

/** a denormal float32 read as zero (sign kept), as vdpbf16ps does with inputs and results */
const ftz = (x: number): number => (x !== 0 && Math.abs(x) < 2 ** -126 ? (x < 0 ? -0 : 0) : x);
/** acc + a * b rounded once to float32 (a * b of two bfloat16 values is exact), denormals flushed */
const fma = (a: number, b: number, acc: number): number => ftz(Math.fround(ftz(acc) + ftz(a) * ftz(b)));

/** The definition (native/gemm-bf16.h) in JS: per element, pairs of k steps, the odd one first, K padded with 0. */
function model(a: Float32Array, b: Float32Array, M: number, N: number, K: number, tA: boolean, tB: boolean, round: boolean): Float32Array {
  const A = (i: number, k: number): number => (k < K ? bf16(tA ? a[k * M + i] : a[i * K + k]) : 0);
  const B = (k: number, j: number): number => (k < K ? bf16(tB ? b[j * K + k] : b[k * N + j]) : 0);
  const c = new Float32Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let acc = 0;
    for (let k = 0; k < K; k += 2) acc = fma(A(i, k), B(k, j), fma(A(i, k + 1), B(k + 1, j), acc));
    c[i * N + j] = round ? bf16(acc) : acc;
  }
  return c;
}

/** Run kernel on a [M,K] x [K,N] product (batched, either side broadcast) laid out at odd float offsets. */
function product(kernel: Bf16Kernel, a: Float32Array, b: Float32Array, M: number, N: number, K: number, tA: boolean, tB: boolean, round: boolean,
  batch = 1, batchA = 1, batchB = 1): Float32Array {
  const offA = 4 * 3, offB = offA + a.length * 4 + 4, offC = offB + b.length * 4 + 8;
  const buffer = new ArrayBuffer(offC + batch * M * N * 4);
  new Float32Array(buffer, offA, a.length).set(a);
  new Float32Array(buffer, offB, b.length).set(b);
  new Float32Array(buffer, offC, batch * M * N).fill(Number.NaN); // every output element must be written
  addon().gemmBf16(buffer, offA, offB, offC, M, N, K, tA, tB, batch, batchA === 1 ? 0 : M * K * 4, batchB === 1 ? 0 : K * N * 4, M * N * 4, round, kernel);
  return new Float32Array(buffer, offC, batch * M * N).slice();
}

const sameBits = (x: Float32Array, y: Float32Array): boolean => Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));

function firstDifference(x: Float32Array, y: Float32Array): string {
  const i = x.findIndex((v, j) => !Object.is(v, y[j]));
  return i < 0 ? 'none' : `element ${i}: ${x[i]} vs ${y[i]}`;
}

describe('bfloat16 rounding (roundBf16)', () => {
  it('rounds to nearest, ties to even, keeps denormals and signed zeros, sends NaN to 0x7FC0 and overflow to infinity', () => {
    const ulp = 2 ** -7; // of bfloat16 at 1
    const cases: [number, number][] = [
      [1 + ulp / 2, 1], // tie: down to the even mantissa
      [1 + 1.5 * ulp, 1 + 2 * ulp], // tie: up to the even mantissa
      [1 + ulp / 2 + 2 ** -20, 1 + ulp], // above the tie
      [-(1 + 1.5 * ulp), -(1 + 2 * ulp)],
      [floatOf(0x7f7fffff), Infinity], // the largest float32 is above the largest bfloat16 + half an ulp
      [floatOf(0x7f7f7fff), floatOf(0x7f7f0000)],
      [-0, -0],
      [floatOf(0x00012345), floatOf(0x00010000)], // a denormal stays a (rounded) denormal
      [Infinity, Infinity],
      [-Infinity, -Infinity],
    ];
    const x = new Float32Array([...cases.map(([v]) => v), Number.NaN, floatOf(0xffc12345)]);
    const buffer = new ArrayBuffer(x.length * 8);
    new Float32Array(buffer, 0, x.length).set(x);
    addon().roundBf16(buffer, 0, x.length * 4, x.length);
    const y = new Float32Array(buffer, x.length * 4, x.length);
    cases.forEach(([, want], i) => expect(Object.is(y[i], want), `${x[i]} -> ${y[i]}, want ${want}`).toBe(true));
    const bits = new Uint32Array(buffer, x.length * 4, x.length);
    expect([bits[x.length - 2], bits[x.length - 1]]).toEqual([0x7fc00000, 0x7fc00000]);
  });

  it('is the JS rounding on random floats of every magnitude, in place too (vector body and tail)', () => {
    const n = 1000;
    const x = new Float32Array(n);
    for (let i = 0; i < n; i++) x[i] = floatOf((Math.imul(i + 1, 2654435761) ^ (i << 7)) >>> 0);
    const buffer = new ArrayBuffer(n * 4);
    const y = new Float32Array(buffer);
    y.set(x);
    addon().roundBf16(buffer, 0, 0, n);
    for (let i = 0; i < n; i++) {
      const want = bf16(x[i]);
      expect(Number.isNaN(want) ? bitsOf(y[i]) === 0x7fc00000 : Object.is(y[i], want), `${x[i]}`).toBe(true);
    }
  });
});

describe('native bfloat16 GEMM', () => {
  const kernels = (): Bf16Kernel[] => addon().bf16Kernels();

  it('lists its kernels, the default first and the reference last; unknown or absent kernels are refused by name', () => {
    const ks = kernels();
    expect(ks.at(-1)).toBe('reference');
    expect(ks).toContain('fp32-fma');
    if (!ks.includes('avx512bf16')) console.log(`bf16 GEMM: no AVX512_BF16 on this CPU: kernels ${ks.join(', ')}; the vdpbf16ps kernel is not checked here`);
    const buffer = new ArrayBuffer(64);
    const call = (kernel: string) => addon().gemmBf16(buffer, 0, 16, 32, 2, 2, 2, false, false, 1, 0, 0, 0, false, kernel as Bf16Kernel);
    expect(() => call('avx1024')).toThrow(/gemmBf16: kernel "avx1024" is unknown/);
    for (const k of ['avx512bf16', 'neon-bf16'] as const) if (!ks.includes(k)) expect(() => call(k)).toThrow(new RegExp(`kernel "${k}" is not available on this CPU`));
    expect(() => (addon().gemmBf16 as unknown as (...a: unknown[]) => void)(buffer, 0, 16, 32, 2, 2, 2, false, false, 1, 0, 0, 0)).toThrow(/expected 15 arguments/);
    expect(() => addon().gemmBf16(buffer, 0, 0, 48, 2, 3, 1, false, false, 1, 0, 0, 0, false, '')).toThrow(/c: bytes \[48, 72\) exceed the buffer of 64 bytes/);
  });

  // partial tiles in both directions, odd K (a zero-padded pair), K across the 512-step blocks, N past a 2048 block
  const sizes: [number, number, number][] = [[1, 1, 1], [1, 33, 7], [3, 1, 97], [13, 17, 5], [12, 32, 64], [97, 97, 64], [29, 70, 300], [25, 65, 513], [7, 150, 40],
    [13, 161, 1031], [3, 2050, 9]];
  for (const tA of [false, true]) for (const tB of [false, true]) {
    it(`every kernel gives the reference's bits for op(A)${tA ? '=A^T' : ''} op(B)${tB ? '=B^T' : ''}, rounded output or not`, () => {
      sizes.forEach(([M, N, K], s) => {
        const a = randomArray(M * K, 7 * s + 1, 3), b = randomArray(K * N, 7 * s + 2, 0.5);
        for (const round of [false, true]) {
          const want = product('reference', a, b, M, N, K, tA, tB, round);
          for (const k of kernels().filter((x) => x !== 'reference' && x !== 'neon-bf16')) {
            const got = product(k, a, b, M, N, K, tA, tB, round);
            expect(sameBits(got, want), `${k} [${M}x${K}]x[${K}x${N}] round=${round}: ${firstDifference(got, want)}`).toBe(true);
          }
        }
      });
    });
  }

  it('batches in one call with either side broadcast, each matrix as if alone', () => {
    for (const [batchA, batchB] of [[3, 3], [3, 1], [1, 3]]) {
      const [M, N, K] = [11, 37, 19];
      const a = randomArray(batchA * M * K, 5 + batchA), b = randomArray(batchB * K * N, 9 + batchB);
      for (const k of kernels().filter((x) => x !== 'neon-bf16')) {
        const got = product(k, a, b, M, N, K, false, true, true, 3, batchA, batchB);
        for (let t = 0; t < 3; t++) {
          const at = a.subarray((batchA === 1 ? 0 : t) * M * K, ((batchA === 1 ? 0 : t) + 1) * M * K), bt = b.subarray((batchB === 1 ? 0 : t) * K * N, ((batchB === 1 ? 0 : t) + 1) * K * N);
          expect(sameBits(got.subarray(t * M * N, (t + 1) * M * N), model(at, bt, M, N, K, false, true, true)), `${k} batch ${t}`).toBe(true);
        }
      }
    }
  });

  it('the reference is the JS model of the definition bit for bit, on random products', () => {
    for (const [M, N, K, tA, tB] of [[5, 7, 9, false, false], [4, 3, 16, true, true], [6, 5, 33, false, true], [3, 4, 600, true, false]] as const) {
      const a = randomArray(M * K, M + 40, 2), b = randomArray(K * N, N + 50, 2);
      for (const round of [false, true]) {
        const got = product('reference', a, b, M, N, K, tA, tB, round), want = model(a, b, M, N, K, tA, tB, round);
        expect(sameBits(got, want), firstDifference(got, want)).toBe(true);
      }
    }
  });

  it('flushes as vdpbf16ps does (denormal operands read as zero, a denormal sum becomes zero) and takes the odd k step first', () => {
    const t = 2 ** -63, d = 3e-39; // t * t = 2^-126, the smallest normal float32; d is a denormal
    const A = [
      [t * (1 + 2 ** -7), t, 0, 0],
      [d, 1, 0, 0],
      [1, 0, 3 * 2 ** 23, -(2 ** 24)],
    ];
    const B = [
      [t, 2 ** 100, 1],
      [-t, 0, 1],
      [1, 1, 1],
      [1, 1, 1],
    ];
    const M = 3, N = 3, K = 4;
    const a = new Float32Array(A.flat()), b = new Float32Array(B.flat());
    const want = model(a, b, M, N, K, false, false, false);
    // row 0 x col 0: -2^-126 (the odd step) + 2^-126 (1 + 2^-7) = 2^-133, a denormal: flushed to +0
    expect(Object.is(want[0], 0)).toBe(true);
    // row 1 x col 1: d * 2^100 (~3.8e-9 if d were read) + 1 * 0: d reads as zero
    expect(Object.is(want[4], 0)).toBe(true);
    // row 2 x col 2: 1 (pair 0), then -2^24 (odd) and + 3 * 2^23 (even): 2^23 + 1; the even step first would
    // round 1 + 3 * 2^23 to 3 * 2^23 and give 2^23
    expect(want[8]).toBe(2 ** 23 + 1);
    for (const k of kernels().filter((x) => x !== 'neon-bf16')) {
      const got = product(k, a, b, M, N, K, false, false, false);
      expect(sameBits(got, want), `${k}: ${firstDifference(got, want)}`).toBe(true);
    }
  });

  for (const kernel of ['avx512bf16', 'neon-bf16', 'fp32-fma'] as const) {
    it(`${kernel} computes the product of the bfloat16-rounded operands, to float32 accumulation error`, () => {
      if (!kernels().includes(kernel)) return void console.log(`bf16 GEMM: ${kernel} does not run on this CPU: not checked`);
      const [M, N, K] = [20, 30, 700];
      const a = randomArray(M * K, 3), b = randomArray(K * N, 4);
      const c = product(kernel, a, b, M, N, K, false, false, false);
      const cr = product(kernel, a, b, M, N, K, false, false, true);
      let worstAcc = 0, worstInput = 0, worstRound = 0;
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
        let exact = 0, unrounded = 0, mass = 0;
        for (let k = 0; k < K; k++) {
          exact += bf16(a[i * K + k]) * bf16(b[k * N + j]);
          unrounded += a[i * K + k] * b[k * N + j];
          mass += Math.abs(a[i * K + k] * b[k * N + j]);
        }
        const x = c[i * N + j];
        worstAcc = Math.max(worstAcc, Math.abs(x - exact) / mass);
        worstInput = Math.max(worstInput, Math.abs(x - unrounded) / mass);
        worstRound = Math.max(worstRound, Math.abs(cr[i * N + j] - x) / Math.abs(x));
      }
      // a float32 sum of K terms: within K * 2^-24 of the mass (in practice ~sqrt(K) * 2^-24); BFDOT rounds to odd,
      // up to a whole ulp, twice per pair
      expect(worstAcc).toBeLessThan(K * (kernel === 'neon-bf16' ? 2 ** -23 : 2 ** -24));
      expect(worstAcc).toBeGreaterThan(0);
      // the operands' rounding: each within 2^-9 relative, so the product within ~2^-8 of the mass
      expect(worstInput).toBeLessThan(2 ** -8);
      expect(worstInput).toBeGreaterThan(worstAcc);
      // the output rounding: at most half a bfloat16 ulp, 2^-8 relative
      expect(worstRound).toBeLessThanOrEqual(2 ** -8);
      expect(worstRound).toBeGreaterThan(2 ** -12);
    });
  }

  it('writes zeros for K = 0 and is deterministic (the same bits on every call)', () => {
    const buffer = new ArrayBuffer(64);
    new Float32Array(buffer).fill(5);
    addon().gemmBf16(buffer, 0, 0, 16, 2, 2, 0, false, false, 1, 0, 0, 0, true, '');
    expect(Array.from(new Float32Array(buffer, 16, 4))).toEqual([0, 0, 0, 0]);
    const a = randomArray(50 * 700, 1), b = randomArray(700 * 60, 2);
    expect(sameBits(product(kernels()[0], a, b, 50, 60, 700, false, true, false), product(kernels()[0], a, b, 50, 60, 700, false, true, false))).toBe(true);
  });
});

/** The addon's fused element-wise kernels (native/addon.cc) with their optional last argument, the bf16 flag. */
interface Fused {
  swigluForward(buffer: ArrayBuffer, g: number, u: number, a: number, n: number, bf16?: boolean): void;
  swigluBackward(buffer: ArrayBuffer, da: number, g: number, u: number, a: number, dg: number, du: number, n: number, bf16?: boolean): void;
  rmsNormForward(buffer: ArrayBuffer, x: number, y: number, r: number, rows: number, w: number, eps: number, bf16?: boolean): void;
  addRmsNormForward(buffer: ArrayBuffer, x: number, o: number, y: number, r: number, rows: number, w: number, eps: number, bf16?: boolean): void;
  rmsNormBackward(buffer: ArrayBuffer, dy: number, y: number, r: number, dx: number, rows: number, w: number, bf16?: boolean): void;
  softmaxForward(buffer: ArrayBuffer, x: number, y: number, rows: number, w: number, scale: number, bf16?: boolean): void;
  softmaxBackward(buffer: ArrayBuffer, dp: number, p: number, ds: number, rows: number, w: number, scale: number, bf16?: boolean): void;
  ropeForward(buffer: ArrayBuffer, x: number, cos: number, sin: number, y: number, rows: number, S: number, hd: number, bf16?: boolean): void;
  ropeBackward(buffer: ArrayBuffer, dy: number, cos: number, sin: number, dx: number, rows: number, S: number, hd: number, bf16?: boolean): void;
}
const fused = (): Fused => addon() as unknown as Fused;

describe('native fused kernels with the bf16 flag (the reference\'s bfloat16 roundings)', () => {
  /** bfloat16 ulps between x and the model's y (y a bfloat16 value) */
  const ulps = (x: number, y: number): number => (x === y ? 0 : Math.abs(x - y) / 2 ** (Math.floor(Math.log2(Math.max(Math.abs(y), 2 ** -126))) - 7));
  const sig = (x: number): number => 1 / (1 + Math.exp(-x));

  /** Run `call` on a fresh buffer holding `inputs` (each n floats); returns the `outputs` arrays after it. */
  function run(inputs: Float32Array[], outputs: number, call: (buffer: ArrayBuffer, off: (i: number) => number) => void): Float32Array[] {
    const n = Math.max(...inputs.map((x) => x.length));
    const buffer = new ArrayBuffer(4 * n * (inputs.length + outputs));
    inputs.forEach((x, i) => new Float32Array(buffer, 4 * n * i, x.length).set(x));
    call(buffer, (i) => 4 * n * i);
    return Array.from({ length: outputs }, (_, j) => new Float32Array(buffer, 4 * n * (inputs.length + j), n).slice());
  }

  /**
   * every value of got is a bfloat16, within 1 bfloat16 ulp of want, and at least 99.5% equal (exp and the row sums
   * differ from float64 in the last float32 bits, which can move a value across a bfloat16 rounding boundary)
   */
  function expectBf16Close(got: Float32Array, want: ArrayLike<number>, what: string): void {
    let worst = 0, equal = 0;
    for (let i = 0; i < want.length; i++) {
      expect(bitsOf(got[i]) & 0xffff, `${what}[${i}] is not a bfloat16`).toBe(0);
      const u = ulps(got[i], want[i]);
      worst = Math.max(worst, u);
      if (u === 0) equal++;
    }
    expect(worst, `${what}: worst ${worst} ulp`).toBeLessThanOrEqual(1);
    expect(equal / want.length, `${what}: ${equal} of ${want.length} equal`).toBeGreaterThan(0.995); // all, on these inputs
  }

  const input = (n: number, seed: number, scale = 3): Float32Array => randomArray(n, seed, scale).map(bf16);

  // PyTorch 1.13's bfloat16 silu and sigmoid on CPU round after every operation (checked against torch on the
  // parity fixtures' activations and random values; native/README.md)
  const siluBf16 = (x: number): number => bf16(x / bf16(1 + bf16(Math.exp(-x))));
  const sigBf16 = (x: number): number => bf16(1 / bf16(1 + bf16(Math.exp(-x))));

  it('swigluForward / swigluBackward: torch\'s bfloat16 silu and silu_backward, every product rounded', () => {
    const n = 4099;
    const [g, u, da] = [input(n, 1), input(n, 2), input(n, 3, 0.5)];
    const [a] = run([g, u], 1, (b, o) => fused().swigluForward(b, o(0), o(1), o(2), n, true));
    expectBf16Close(a, Array.from(g, (x, i) => bf16(siluBf16(x) * u[i])), 'a');
    const [a2, dg, du] = run([da, g, u], 3, (b, o) => fused().swigluBackward(b, o(0), o(1), o(2), o(3), o(4), o(5), n, true));
    expect(sameBits(a2, a)).toBe(true);
    expectBf16Close(du, Array.from(g, (x, i) => bf16(da[i] * siluBf16(x))), 'du');
    const dgWant = Array.from(g, (x, i) => {
      const sg = sigBf16(x);
      return bf16(bf16(bf16(da[i] * u[i]) * sg) * bf16(1 + bf16(x * bf16(1 - sg))));
    });
    expectBf16Close(dg, dgWant, 'dg');
  });

  it('rmsNormForward, addRmsNormForward (the residual sum rounded first) and rmsNormBackward', () => {
    const [rows, w] = [37, 97];
    const [x, o, dy] = [input(rows * w, 4), input(rows * w, 5), input(rows * w, 6, 0.1)];
    const norm = (s: ArrayLike<number>): { y: number[]; r: number[] } => {
      const y: number[] = [], r: number[] = [];
      for (let k = 0; k < rows; k++) {
        let ss = 0;
        for (let i = 0; i < w; i++) ss += s[k * w + i] ** 2;
        r.push(1 / Math.sqrt(ss / w + 1e-5));
        for (let i = 0; i < w; i++) y.push(bf16(s[k * w + i] * r[k]));
      }
      return { y, r };
    };
    const [y, r] = run([x], 2, (b, o) => fused().rmsNormForward(b, o(0), o(1), o(2), rows, w, 1e-5, true));
    const want = norm(x);
    expectBf16Close(y, want.y, 'y');
    want.r.forEach((v, k) => expect(Math.abs(r[k] - v) / v).toBeLessThan(1e-6)); // r stays float32
    const [y2] = run([x, o], 2, (b, o2) => fused().addRmsNormForward(b, o2(0), o2(1), o2(2), o2(3), rows, w, 1e-5, true));
    expectBf16Close(y2, norm(Array.from(x, (v, i) => bf16(v + o[i]))).y, 'y of x + o');
    const [dx] = run([dy, y, r], 1, (b, o2) => fused().rmsNormBackward(b, o2(0), o2(1), o2(2), o2(3), rows, w, true));
    const wantDx: number[] = [];
    for (let k = 0; k < rows; k++) {
      let dot = 0;
      for (let i = 0; i < w; i++) dot += dy[k * w + i] * y[k * w + i];
      for (let i = 0; i < w; i++) wantDx.push(bf16(r[k] * (dy[k * w + i] - y[k * w + i] * (dot / w))));
    }
    expectBf16Close(dx, wantDx, 'dx');
  });

  it('softmaxForward / softmaxBackward (with the scale) and ropeForward / ropeBackward: outputs rounded', () => {
    const [rows, w, scale] = [64, 97, 0.125];
    const [x, dp] = [input(rows * w, 7, 8), input(rows * w, 8, 0.5)];
    const [p] = run([x], 1, (b, o) => fused().softmaxForward(b, o(0), o(1), rows, w, scale, true));
    const wantP: number[] = [];
    for (let k = 0; k < rows; k++) {
      const row = Array.from(x.subarray(k * w, (k + 1) * w), (v) => v * scale);
      const m = Math.max(...row), e = row.map((v) => Math.exp(v - m)), sum = e.reduce((s, v) => s + v, 0);
      wantP.push(...e.map((v) => bf16(v / sum)));
    }
    expectBf16Close(p, wantP, 'p');
    const [ds] = run([dp, p], 1, (b, o) => fused().softmaxBackward(b, o(0), o(1), o(2), rows, w, scale, true));
    const wantDs: number[] = [];
    for (let k = 0; k < rows; k++) {
      let d = 0;
      for (let i = 0; i < w; i++) d += dp[k * w + i] * p[k * w + i];
      d = bf16(d); // torch's bfloat16 softmax backward rounds the row sum
      for (let i = 0; i < w; i++) wantDs.push(bf16(p[k * w + i] * (dp[k * w + i] - d) * scale));
    }
    expectBf16Close(ds, wantDs, 'ds');
    const [S, hd] = [18, 16];
    const [q, cos, sin] = [input(S * 3 * hd, 9), randomArray(S * hd, 10), randomArray(S * hd, 11)];
    const [y] = run([q, cos, sin], 1, (b, o) => fused().ropeForward(b, o(0), o(1), o(2), o(3), S * 3, S, hd, true));
    const [dx] = run([q, cos, sin], 1, (b, o) => fused().ropeBackward(b, o(0), o(1), o(2), o(3), S * 3, S, hd, true));
    const wantY: number[] = [], wantDx: number[] = [];
    for (let k = 0; k < S * 3; k++) {
      const t = (k % S) * hd, h = hd / 2;
      for (let i = 0; i < hd; i++) {
        const rot = i < h ? -q[k * hd + i + h] : q[k * hd + i - h];
        wantY.push(bf16(q[k * hd + i] * cos[t + i] + rot * sin[t + i]));
        // dx = dy * cos - rotate_half(dy * sin): rotate_half(v)[i] = -v[i + h] (i < h), v[i - h] (i >= h)
        const rs = i < h ? -q[k * hd + i + h] * sin[t + i + h] : q[k * hd + i - h] * sin[t + i - h];
        wantDx.push(bf16(q[k * hd + i] * cos[t + i] - rs));
      }
    }
    expectBf16Close(y, wantY, 'rope y');
    expectBf16Close(dx, wantDx, 'rope dx');
  });

  it('without the flag (or with false) they compute in float32 exactly as before', () => {
    const n = 1000;
    const [g, u] = [input(n, 12), input(n, 13)];
    const [a0] = run([g, u], 1, (b, o) => fused().swigluForward(b, o(0), o(1), o(2), n));
    const [a1] = run([g, u], 1, (b, o) => fused().swigluForward(b, o(0), o(1), o(2), n, false));
    expect(sameBits(a0, a1)).toBe(true);
    expect(Array.from(a0).some((v) => (bitsOf(v) & 0xffff) !== 0)).toBe(true);
    expect(() => (fused().swigluForward as unknown as (...a: unknown[]) => void)(new ArrayBuffer(64), 0, 16, 32, 4, 1)).toThrow(/the bf16 flag must be a boolean/);
  });
});

describe('gemmSwiglu: the SwiGLU projections with the gating in the GEMM epilogue', () => {
  const swiglu = addon;

  /** x [rows, K], gate and up [inner, K], then room for a, g, u and the unfused g, u, a */
  function layout(rows: number, K: number, inner: number, seed: number) {
    const sizes = [rows * K, inner * K, inner * K, ...Array(6).fill(rows * inner)];
    const offs = sizes.map((_, i) => 4 * sizes.slice(0, i).reduce((s, n) => s + n, 0));
    const buffer = new ArrayBuffer(4 * sizes.reduce((s, n) => s + n, 0));
    new Float32Array(buffer, offs[0], sizes[0]).set(randomArray(sizes[0], seed));
    new Float32Array(buffer, offs[1], sizes[1]).set(randomArray(sizes[1], seed + 1, 0.2));
    new Float32Array(buffer, offs[2], sizes[2]).set(randomArray(sizes[2], seed + 2, 0.2));
    for (let i = 3; i < 9; i++) new Float32Array(buffer, offs[i], sizes[i]).fill(Number.NaN);
    const view = (i: number) => new Float32Array(buffer, offs[i], sizes[i]);
    return { buffer, offs, view };
  }

  for (const bf16 of [false, true]) {
    it(`${bf16 ? 'bfloat16' : 'float32'}: a, g and u are the bits of the two products and the gating computed apart`, () => {
      const kernelsHere: (Bf16Kernel | '')[] = bf16 ? addon().bf16Kernels().filter((k) => k !== 'reference' && k !== 'neon-bf16') : [''];
      for (const [rows, K, inner] of [[97, 97, 256], [25, 128, 512], [40, 512, 1536], [13, 64, 1024 + 512 + 256]]) {
        for (const kernel of kernelsHere) {
          const { buffer, offs, view } = layout(rows, K, inner, rows + K);
          const [x, gate, up, a, g, u, g2, u2, a2] = offs;
          expect(swiglu().gemmSwiglu(buffer, x, gate, up, a, g, u, rows, K, inner, true, bf16, kernel), `[${rows}, ${K}, ${inner}] ran`).toBe(true);
          // unfused: g2 = x gate^T, u2 = x up^T (C rounded in bfloat16), a2 = the gating
          for (const [w, out] of [[gate, g2], [up, u2]]) {
            if (bf16) addon().gemmBf16(buffer, x, w, out, rows, inner, K, false, true, 1, 0, 0, 0, true, kernel);
            else addon().gemm(buffer, x, w, out, rows, inner, K, false, true, 1, 0, 0, 0);
          }
          fused().swigluForward(buffer, g2, u2, a2, rows * inner, bf16);
          const where = `${kernel || 'fp32'} [${rows}, ${K}, ${inner}]`;
          for (const [name, fusedOut, plain] of [['g', 4, 6], ['u', 5, 7], ['a', 3, 8]] as const) {
            expect(sameBits(view(fusedOut), view(plain)), `${where} ${name}: ${firstDifference(view(fusedOut), view(plain))}`).toBe(true);
          }
          // without saveGU only a is written
          const second = layout(rows, K, inner, rows + K);
          swiglu().gemmSwiglu(second.buffer, x, gate, up, a, g, u, rows, K, inner, false, bf16, kernel);
          expect(sameBits(second.view(3), view(3))).toBe(true);
          expect(second.view(4).every(Number.isNaN) && second.view(5).every(Number.isNaN)).toBe(true);
        }
      }
    });
  }

  it('declines (returns false, writes nothing) when K exceeds one k block or inner does not fill whole tiles', () => {
    for (const [K, inner] of [[513, 256], [64, 24]]) {
      const { buffer, offs, view } = layout(5, K, inner, 3);
      const [x, gate, up, a, g, u] = offs;
      expect(swiglu().gemmSwiglu(buffer, x, gate, up, a, g, u, 5, K, inner, true, false, '')).toBe(false);
      expect(swiglu().gemmSwiglu(buffer, x, gate, up, a, g, u, 5, K, inner, true, true, '')).toBe(false);
      expect(view(3).every(Number.isNaN)).toBe(true);
    }
  });
});

describe('the GEMMs with an addend (C = addend + product, the add fused per tile)', () => {
  // K across blocks (the add after the last), K = 0 (C = addend), a batch with B broadcast
  const cases: [number, number, number, number][] = [[13, 70, 1100, 1], [29, 33, 97, 1], [5, 6, 0, 1], [11, 37, 19, 3]];
  for (const bf16 of [false, true]) {
    it(`${bf16 ? 'gemmBf16' : 'gemm'}: the bits of the product and then Math.fround(addend + product)`, () => {
      const kernelsHere: (Bf16Kernel | '')[] = bf16 ? addon().bf16Kernels().filter((k) => k !== 'neon-bf16') : [''];
      for (const [M, N, K, batch] of cases) for (const kernel of kernelsHere) {
        const a = randomArray(batch * M * K, M + 1), b = randomArray(K * N, N + 2), addend = randomArray(batch * M * N, 9, 4);
        const offA = 0, offB = a.length * 4, offC = offB + b.length * 4, offD = offC + addend.length * 4, offP = offD + addend.length * 4;
        const buffer = new ArrayBuffer(offP + addend.length * 4);
        new Float32Array(buffer, offA, a.length).set(a);
        new Float32Array(buffer, offB, b.length).set(b);
        new Float32Array(buffer, offD, addend.length).set(addend);
        const run = (c: number, add?: number) => bf16
          ? addon().gemmBf16(buffer, offA, offB, c, M, N, K, false, true, batch, M * K * 4, 0, M * N * 4, true, kernel, ...(add === undefined ? [] : [add]))
          : addon().gemm(buffer, offA, offB, c, M, N, K, false, true, batch, M * K * 4, 0, M * N * 4, ...(add === undefined ? [] : [add]));
        run(offP);
        run(offC, offD);
        const product = new Float32Array(buffer, offP, addend.length), got = new Float32Array(buffer, offC, addend.length);
        const want = Float32Array.from(product, (p, i) => Math.fround(addend[i] + p));
        expect(sameBits(got, want), `${kernel || 'fp32'} [${M}x${K}]x[${K}x${N}] batch ${batch}: ${firstDifference(got, want)}`).toBe(true);
      }
    });
  }

  it('rejects an addend outside the buffer, naming it', () => {
    const buffer = new ArrayBuffer(64);
    expect(() => addon().gemm(buffer, 0, 16, 32, 2, 2, 2, false, false, 1, 0, 0, 0, 56)).toThrow(/addend: bytes \[56, 72\) exceed the buffer of 64 bytes/);
  });
});

describe('attention by blocks of query rows (attentionForward / attentionBackward)', () => {
  const att = addon;

  // S = 18 (the fixtures), 97 (sudoku), 600 and 1100 (query rows across the float32 GEMM's 512-step k blocks)
  const shapes: [number, number, number][] = [[3, 18, 16], [4, 97, 64], [2, 600, 32], [1, 1100, 16]];
  for (const bf16 of [false, true]) {
    it(`${bf16 ? 'bfloat16' : 'float32'}: the bits of the unblocked products and softmax, forward and backward`, () => {
      const kernelsHere: (Bf16Kernel | '')[] = bf16 ? addon().bf16Kernels().filter((k) => k !== 'reference' && k !== 'neon-bf16') : [''];
      for (const [heads, S, hd] of shapes) for (const kernel of kernelsHere) {
        const n = heads * S * hd, nn = heads * S * S, scale = 1 / Math.sqrt(hd);
        // q k v dout | out dq dk dv (blocked) | out dq dk dv (unblocked) | P dP
        const offs: number[] = [];
        let end = 0;
        for (let i = 0; i < 14; i++) (offs.push(end), (end += 4 * (i < 12 ? n : nn)));
        const buffer = new ArrayBuffer(end);
        for (let i = 0; i < 4; i++) new Float32Array(buffer, offs[i], n).set(randomArray(n, 31 * S + i, i === 3 ? 0.1 : 1.5));
        const [q, k, v, dout, out, dq, dk, dv, out2, dq2, dk2, dv2, P, dP] = offs;
        const mm = (a: number, b: number, c: number, M: number, N: number, K: number, tA: boolean, tB: boolean) => bf16
          ? addon().gemmBf16(buffer, a, b, c, M, N, K, tA, tB, heads, 4 * M * K, 4 * K * N, 4 * M * N, true, kernel)
          : addon().gemm(buffer, a, b, c, M, N, K, tA, tB, heads, 4 * M * K, 4 * K * N, 4 * M * N);
        mm(q, k, P, S, S, hd, false, true);
        fused().softmaxForward(buffer, P, P, heads * S, S, scale, bf16);
        mm(P, v, out2, S, hd, S, false, false);
        mm(P, dout, dv2, S, hd, S, true, false);
        mm(dout, v, dP, S, S, hd, false, true);
        fused().softmaxBackward(buffer, dP, P, dP, heads * S, S, scale, bf16);
        mm(dP, k, dq2, S, hd, S, false, false);
        mm(dP, q, dk2, S, hd, S, true, false);
        att().attentionForward(buffer, q, k, v, out, heads, S, hd, scale, bf16, kernel);
        att().attentionBackward(buffer, dout, q, k, v, dq, dk, dv, heads, S, hd, scale, bf16, kernel);
        for (const [name, x, y] of [['out', out, out2], ['dq', dq, dq2], ['dk', dk, dk2], ['dv', dv, dv2]] as const) {
          const got = new Float32Array(buffer, x, n), want = new Float32Array(buffer, y, n);
          expect(sameBits(got, want), `${kernel || 'fp32'} [${heads}, ${S}, ${hd}] ${name}: ${firstDifference(got, want)}`).toBe(true);
        }
      }
    });
  }
});
