// The native optimizer loops (native/optim.cc behind tensor-core's adamAtan2Step / emaStep): its atan2 against Math.atan2 over
// dense grids and the special values, the native shard against the JS loops over several steps and shardings,
// the switch, and the argument checks. The addon must load on this machine (as in the fused-kernel tests).
import { afterAll, describe, expect, it } from 'vitest';
import { adamAtan2Step, emaStep, reduceChunk } from '@trm/tensor-core';
import { nativeOptimizer, registerNativeArrayKernels, setNativeOptimizer } from './optim.ts';

registerNativeArrayKernels(); // tensor-core's adamAtan2Step / emaStep run the addon's loops while the switch is on

function addon() {
  setNativeOptimizer(true);
  const a = nativeOptimizer();
  if (!a) throw new Error('the native addon did not load on this machine (see stderr)');
  return a;
}
afterAll(() => setNativeOptimizer(true));

/** float32 ulp at |x| (subnormals: 2^-149). */
const ulp = (x: number): number => (Math.abs(x) < 2 ** -126 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(Math.abs(Math.fround(x)))) - 23));

/** deterministic pseudo-random floats in [-scale, scale) */
function noise(n: number, seed: number, scale: number): Float32Array {
  let x = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return ((x / 2 ** 32) * 2 - 1) * scale;
  });
}

function nativeAtan2(y: Float32Array, x: Float32Array): Float32Array {
  const out = new Float32Array(y.length);
  addon().atan2Map(y, x, out);
  return out;
}

describe('native atan2', () => {
  it('is the correctly rounded float of atan2 over dense grids (within 0.5 ulp of Math.atan2 in float64)', () => {
    // 1) every pair of 500 magnitudes spread over the float range (1e-42 .. 3e38, both signs): all quadrants,
    //    huge and tiny ratios; 2) y/x dense around the reduction points tan(pi/8) and 1 and on [0, 3] (x = 1 and x = 0.37)
    const mags = Float32Array.from({ length: 500 }, (_, i) => (i % 2 ? -1 : 1) * Math.fround(10 ** (-42 + (80.5 * i) / 499) * (1 + 0.37 * Math.sin(i))));
    const ys: number[] = [], xs: number[] = [];
    for (const a of mags) for (const b of mags) (ys.push(a), xs.push(b));
    for (let i = 0; i <= 300_000; i++) {
      const r = (3 * i) / 300_000;
      ys.push(r, -r * 0.37, 0.41421356 + (i - 150_000) * 1e-9, 1 + (i - 150_000) * 1e-9);
      xs.push(1, 0.37, 1, -1);
    }
    const y = Float32Array.from(ys), x = Float32Array.from(xs);
    const got = nativeAtan2(y, x);
    let worst = 0, differ = 0;
    for (let i = 0; i < y.length; i++) {
      const exact = Math.atan2(y[i], x[i]);
      worst = Math.max(worst, Math.abs(got[i] - exact) / ulp(exact));
      if (got[i] !== Math.fround(exact)) differ++;
    }
    // a double result ~1e-11 from the exact value rounds to the nearest float: 0.5 ulp plus a hair; a slip in the
    // reduction, the series or a quadrant shows as many ulp
    expect(worst).toBeLessThan(0.5 + 1e-3);
    expect(differ).toBeLessThan(y.length * 1e-4); // off-by-one-ulp from fround(Math.atan2) only at near-ties
  });

  it('handles zeros, infinities and NaN as Math.atan2', () => {
    const specials = [0, -0, 1, -1, 2.5e-40, -3e38, Infinity, -Infinity, Number.NaN];
    const y = Float32Array.from(specials.flatMap((a) => specials.map(() => a)));
    const x = Float32Array.from(specials.flatMap(() => specials));
    const got = nativeAtan2(y, x);
    for (let i = 0; i < y.length; i++) {
      const want = Math.fround(Math.atan2(y[i], x[i]));
      expect(Object.is(got[i], want) || Math.abs(got[i] - want) <= ulp(want), `atan2(${y[i]}, ${x[i]}) = ${got[i]}, Math.atan2 ${want}`).toBe(true);
      if (want === 0 || Number.isNaN(want)) expect(Object.is(got[i], want), `atan2(${y[i]}, ${x[i]})`).toBe(true); // signed zero, NaN
    }
  });
});

describe('native optimizer shard against the JS loops', () => {
  const N = 1003; // vector tails for 4-, 8- and 16-float vectors
  const cfg = { betas: [0.9, 0.95] as [number, number], weightDecay: 0.1 };
  const lrs = [1e-3, 3e-3, 2e-3, 1e-4, 5e-3, 1e-3, 2e-3, 3e-3];

  /** 8 AdamATan2 + EMA steps (step 3: zero gradient, step 6: one NaN gradient element) with `world` shards */
  function run(native: boolean, world: number) {
    setNativeOptimizer(native);
    const p = noise(N, 1, 1), m = new Float32Array(N), v = new Float32Array(N), ema = p.slice();
    lrs.forEach((lr, s) => {
      const g = noise(N, 100 + s, s === 2 ? 0 : 0.01);
      if (s === 5) g[7] = Number.NaN;
      for (let rank = 0; rank < world; rank++) {
        const [a, b] = reduceChunk(N, world, rank);
        adamAtan2Step(p.subarray(a, b), g.subarray(a, b), m.subarray(a, b), v.subarray(a, b), lr, s + 1, cfg);
        emaStep(ema.subarray(a, b), p.subarray(a, b), 0.9);
      }
    });
    setNativeOptimizer(true);
    return { p, m, v, ema };
  }

  it('moments bit for bit; weights and shadow within one float ulp plus one ulp of the updates', () => {
    addon();
    const js = run(false, 1);
    for (const world of [1, 3]) {
      const nat = run(true, world);
      expect(nat.m).toEqual(js.m); // no transcendental function: every rounding point as in JS
      expect(nat.v).toEqual(js.v);
      expect(Number.isNaN(nat.p[7]) && Number.isNaN(nat.m[7])).toBe(true); // a NaN gradient still poisons its weight
      let differ = 0;
      for (let i = 0; i < N; i++) {
        if (i === 7) continue;
        // an atan2 ulp (~1.2e-7 at most, |atan2| < pi/2) times the step size lr/(1-b1^t) <= 5e-2: 6e-9 per step;
        // the EMA carries a weight's difference (times 0.1 per step) plus its own rounding
        expect(Math.abs(nat.p[i] - js.p[i]), `param[${i}]`).toBeLessThanOrEqual(ulp(js.p[i]) + 6e-9);
        expect(Math.abs(nat.ema[i] - js.ema[i]), `ema[${i}]`).toBeLessThanOrEqual(2 * ulp(js.ema[i]) + 6e-9);
        if (nat.p[i] !== js.p[i]) differ++;
      }
      expect(differ).toBeLessThan(N / 100); // atan2 differs from fround(Math.atan2) only at near-ties
    }
    expect(js.p).not.toEqual(noise(N, 1, 1));
  });

  it('the EMA alone equals the JS loop bit for bit', () => {
    const p = noise(N, 5, 1);
    const [a, b] = [noise(N, 6, 1), noise(N, 6, 1)];
    setNativeOptimizer(true);
    emaStep(a, p, 0.999);
    setNativeOptimizer(false);
    emaStep(b, p, 0.999);
    setNativeOptimizer(true);
    expect(a).toEqual(b);
    expect(a).not.toEqual(noise(N, 6, 1));
  });

  it('works on SharedArrayBuffer-backed arrays (the shared weights and summed gradient)', () => {
    const shared = (src: Float32Array) => {
      const s = new Float32Array(new SharedArrayBuffer(src.length * 4 + 64), 64, src.length); // byteOffset != 0
      s.set(src);
      return s;
    };
    const p0 = noise(N, 1, 1), g = noise(N, 2, 0.01);
    const [pS, gS] = [shared(p0), shared(g)];
    const [pJ, mS, vS, mJ, vJ] = [p0.slice(), new Float32Array(N), new Float32Array(N), new Float32Array(N), new Float32Array(N)];
    setNativeOptimizer(true);
    adamAtan2Step(pS, gS, mS, vS, 1e-3, 1, cfg);
    setNativeOptimizer(false);
    adamAtan2Step(pJ, g, mJ, vJ, 1e-3, 1, cfg);
    setNativeOptimizer(true);
    expect(mS).toEqual(mJ);
    for (let i = 0; i < N; i++) expect(Math.abs(pS[i] - pJ[i])).toBeLessThanOrEqual(ulp(pJ[i]) + 6e-9);
    expect(pS).not.toEqual(p0);
  });

  it('the switch decides, and the addon rejects bad arguments with a clear error', () => {
    setNativeOptimizer(false);
    expect(nativeOptimizer()).toBeNull();
    const a = addon();
    expect(nativeOptimizer()).not.toBeNull();
    const f = new Float32Array(4);
    expect(() => a.adamAtan2Shard(f, new Float32Array(3), f, f, 1, 1, 1, 1, 1)).toThrow(/adamAtan2Shard: grad has 3 floats, param 4/);
    expect(() => a.emaShard(f, new Float64Array(4) as unknown as Float32Array, 1, 1)).toThrow(/emaShard: param must be a Float32Array/);
    expect(() => (a.atan2Map as (...x: unknown[]) => void)(f, f)).toThrow(/atan2Map: expected 3 arguments/);
  });
});
