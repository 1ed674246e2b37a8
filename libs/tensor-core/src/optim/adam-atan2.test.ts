import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, setNativeOptimizer } from '@trm/tensor-node';
import { reduceChunk } from '../parallel/all-reduce.ts';
import { adamAtan2Step, createAdamATan2 } from './adam-atan2.ts';
import { createEma, emaStep } from './ema.ts';

const fixturePath = fileURLToPath(new URL('../../../../../shared/fixtures/parity/optimizers.json', import.meta.url));
const fixtures = JSON.parse(readFileSync(fixturePath, 'utf8'));

/** deterministic pseudo-random floats in [-scale, scale) */
function noise(n: number, seed: number, scale: number): Float32Array {
  let x = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    return ((x / 2 ** 32) * 2 - 1) * scale;
  });
}

/** |a - e| <= rel * (|e| + max|e|) + abs (as optim.test.ts): float32 accuracy relative to the tensor's scale */
function expectClose(actual: Float32Array, expected: number[], rel: number, abs: number, what: string): void {
  const scale = Math.max(...expected.map(Math.abs));
  expected.forEach((e, i) => expect(Math.abs(actual[i] - e), `${what}[${i}]`).toBeLessThanOrEqual(abs + rel * (Math.abs(e) + scale)));
}

const N = 1003;
const cfg = { betas: [0.9, 0.95] as [number, number], weightDecay: 0.1 };
const lrs = [1e-3, 3e-3, 2e-3, 1e-4, 5e-3];

/** 5 AdamATan2 + EMA steps of the tfjs optimizers on the active backend: final param, moments, shadow */
function tfjsRun(): { p: Float32Array; m: Float32Array; v: Float32Array; ema: Float32Array } {
  const p = tf.variable(tf.tensor1d(noise(N, 1, 1)));
  const params = new Map([['w', p]]);
  const adam = createAdamATan2(params, cfg);
  const ema = createEma(params, 0.9);
  lrs.forEach((lr, s) => {
    const g = tf.tensor1d(noise(N, 100 + s, s === 2 ? 0 : 0.01)); // step 3: zero gradient (atan2(0, 0) = 0)
    adam.step(new Map([['w', g]]), lr);
    g.dispose();
    ema.update();
  });
  const st = adam.stateDict();
  const out = { p: Float32Array.from(p.dataSync()), m: st['w.exp_avg'].data as Float32Array, v: st['w.exp_avg_sq'].data as Float32Array, ema: ema.stateDict().w.data as Float32Array };
  adam.dispose();
  ema.dispose();
  p.dispose();
  return out;
}

/** the same 5 steps with the definition on arrays, the vector cut into `world` shards (as the data-parallel workers do) */
function shardRun(world: number): { p: Float32Array; m: Float32Array; v: Float32Array; ema: Float32Array } {
  const p = noise(N, 1, 1);
  const m = new Float32Array(N);
  const v = new Float32Array(N);
  const ema = p.slice();
  lrs.forEach((lr, s) => {
    const g = noise(N, 100 + s, s === 2 ? 0 : 0.01);
    for (let rank = 0; rank < world; rank++) {
      const [a, b] = reduceChunk(N, world, rank);
      adamAtan2Step(p.subarray(a, b), g.subarray(a, b), m.subarray(a, b), v.subarray(a, b), lr, s + 1, cfg);
      emaStep(ema.subarray(a, b), p.subarray(a, b), 0.9);
    }
  });
  return { p, m, v, ema };
}

// The definition: the JS loops (the native kernels are compared with them in @trm/tensor-node's native/optim.test.ts).
beforeAll(() => setNativeOptimizer(false));
afterAll(() => setNativeOptimizer(true));

describe('adamAtan2Step and emaStep, the definitions, against the tfjs implementations', () => {
  it('equal createAdamATan2 and createEma bit for bit on the cpu backend, for any sharding', async () => {
    await initBackend('cpu');
    const ref = tfjsRun();
    for (const world of [1, 3]) {
      const got = shardRun(world);
      expect(got.p).toEqual(ref.p);
      expect(got.m).toEqual(ref.m);
      expect(got.v).toEqual(ref.v);
      expect(got.ema).toEqual(ref.ema);
    }
    expect(ref.p).not.toEqual(noise(N, 1, 1)); // the run really moved the weights
  });

  it('equal the tfjs versions on the wasm backend up to the last bit of atan2', async () => {
    await initBackend('wasm');
    const ref = tfjsRun();
    const got = shardRun(2);
    expect(got.m).toEqual(ref.m); // the moments use no transcendental function
    expect(got.v).toEqual(ref.v);
    // one float32 ulp of the weight plus one of the update (an atan2 ulp, ~1.2e-7, times a step size lr/(1-b1^t)
    // of at most 5e-2 here: 6e-9); each update moves a weight by ~1e-3, so a wrong rule would show at once
    for (let i = 0; i < N; i++) {
      const ulp = 2 ** (Math.floor(Math.log2(Math.abs(ref.p[i]))) - 23);
      expect(Math.abs(got.p[i] - ref.p[i]), `param[${i}]`).toBeLessThanOrEqual(ulp + 6e-9);
      expect(Math.abs(got.ema[i] - ref.ema[i]), `ema[${i}]`).toBeLessThanOrEqual(2 * ulp + 6e-9);
    }
  });

  it('follows the reference rule of the parity fixtures', () => {
    for (const c of fixtures.adam_atan2.cases as { name: string; lr: number; betas: [number, number]; weight_decay: number; param0: number[]; steps: { t: number; grad: number[]; param_f32: number[]; exp_avg_f64: number[] }[] }[]) {
      const p = Float32Array.from(c.param0);
      const m = new Float32Array(p.length);
      const v = new Float32Array(p.length);
      for (const s of c.steps) {
        adamAtan2Step(p, Float32Array.from(s.grad), m, v, c.lr, s.t, { betas: c.betas, weightDecay: c.weight_decay });
        expectClose(p, s.param_f32, 4e-7, 1e-9, `${c.name} t=${s.t} param`);
        expectClose(m, s.exp_avg_f64, 1e-6, 1e-12, `${c.name} t=${s.t} exp_avg`);
      }
    }
  });

  it('rejects mismatched shards and a bad step with a clear error', () => {
    const a = new Float32Array(3);
    expect(() => adamAtan2Step(a, new Float32Array(2), a, a, 1e-3, 1, cfg)).toThrow(/lengths differ \(param 3, grad 2/);
    expect(() => adamAtan2Step(a, a, a, a, 1e-3, 0, cfg)).toThrow(/step t must be an integer >= 1, got 0/);
    expect(() => emaStep(a, new Float32Array(4), 0.9)).toThrow(/shadow has 3 floats, param 4/);
  });
});
