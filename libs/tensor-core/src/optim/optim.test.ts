import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '@trm/tensor-node';
import { createAdamATan2 } from './adam-atan2.ts';
import { createEma } from './ema.ts';
import { cosineLrWithWarmup } from './schedule.ts';
import { sparseSignSgdStep } from './sign-sgd.ts';

// ../shared beside the repo root
const fixturePath = fileURLToPath(new URL('../../../../../shared/fixtures/parity/optimizers.json', import.meta.url));
const fixtures = JSON.parse(readFileSync(fixturePath, 'utf8'));

interface AdamCase {
  name: string;
  shape: number[];
  lr: number;
  betas: [number, number];
  weight_decay: number;
  param0: number[];
  steps: { t: number; grad: number[]; param_f64: number[]; exp_avg_f64: number[]; exp_avg_sq_f64: number[]; param_f32: number[] }[];
}

/** |a - e| <= rel * (|e| + max|e|) + abs: float32 accuracy relative to the scale of the whole tensor */
function expectClose(actual: ArrayLike<number>, expected: number[], rel: number, abs: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  const scale = Math.max(...expected.map(Math.abs));
  for (let i = 0; i < expected.length; i++) {
    const tol = abs + rel * (Math.abs(expected[i]) + scale);
    if (!(Math.abs(actual[i] - expected[i]) <= tol)) {
      throw new Error(`${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (tolerance ${tol})`);
    }
  }
}

// The tensor-side rules run on both backends the engine uses.
describe.each(['cpu', 'wasm'] as const)('on the %s backend', (backend) => {
  beforeAll(async () => {
    await initBackend(backend);
  });

  describe('AdamATan2 (fixtures adam_atan2)', () => {
    for (const c of fixtures.adam_atan2.cases as AdamCase[]) {
      it(`matches the reference rule: ${c.name}`, () => {
        const p = tf.variable(tf.tensor(c.param0, c.shape, 'float32'));
        const params = new Map([['w', p]]);
        const opt = createAdamATan2(params, { betas: c.betas, weightDecay: c.weight_decay });
        for (const s of c.steps) {
          const g = tf.tensor(s.grad, c.shape, 'float32');
          opt.step(new Map([['w', g]]), c.lr);
          g.dispose();
          expect(opt.t).toBe(s.t);
          const state = opt.stateDict();
          expectClose(state['w.exp_avg'].data as Float32Array, s.exp_avg_f64, 1e-6, 1e-12, `${c.name} t=${s.t} exp_avg`);
          expectClose(state['w.exp_avg_sq'].data as Float32Array, s.exp_avg_sq_f64, 1e-6, 1e-14, `${c.name} t=${s.t} exp_avg_sq`);
          // float32 result against the float64 truth: a few float32 ulps of the parameter
          expectClose(p.dataSync(), s.param_f64, 4e-7, 1e-9, `${c.name} t=${s.t} param vs f64`);
          expectClose(p.dataSync(), s.param_f32, 4e-7, 1e-9, `${c.name} t=${s.t} param vs f32 emulation`);
        }
        opt.dispose();
        p.dispose();
      });
    }

    it('moves a parameter with a zero gradient by weight decay only, and round-trips its state', () => {
      const p = tf.variable(tf.tensor1d([1, -2]));
      const opt = createAdamATan2(new Map([['w', p]]), { betas: [0.9, 0.95], weightDecay: 0.5 });
      opt.step(new Map([['w', tf.zeros([2])]]), 0.1);
      expectClose(p.dataSync(), [0.95, -1.9], 1e-7, 0, 'decay only');
      const saved = opt.stateDict();
      opt.step(new Map([['w', tf.tensor1d([1, 1])]]), 0.1);
      const after = Float32Array.from(p.dataSync());
      p.assign(tf.tensor1d([0.95, -1.9]));
      const opt2 = createAdamATan2(new Map([['w', p]]), { betas: [0.9, 0.95], weightDecay: 0.5 });
      opt2.loadStateDict(saved, 1);
      opt2.step(new Map([['w', tf.tensor1d([1, 1])]]), 0.1);
      expect(Array.from(p.dataSync())).toEqual(Array.from(after));
      expect(() => opt2.loadStateDict({}, 1)).toThrow(/missing "w.exp_avg"/);
    });
  });

  describe('sparse sign-SGD (fixtures sparse_signsgd)', () => {
    it('sums duplicate ids, decays only touched rows, matches the reference bit for bit', () => {
      const f = fixtures.sparse_signsgd;
      const table = tf.variable(tf.tensor(f.weights_before, f.weights_shape, 'float32'));
      const grad = tf.tensor2d(f.local_weights_grad, f.grad_shape, 'float32');
      sparseSignSgdStep(table, Int32Array.from(f.local_ids), grad, f.lr, f.weight_decay);
      expect(Array.from(table.dataSync())).toEqual(Array.from(Float32Array.from(f.weights_after)));
      expect(() => sparseSignSgdStep(table, Int32Array.from([9, 0, 0, 0]), grad, f.lr, f.weight_decay)).toThrow(/puzzle id 9/);
    });
  });

  describe('EMA', () => {
    it('averages params with rate 0.999 and restores its shadow', () => {
      const p = tf.variable(tf.tensor1d([1, 2]));
      const ema = createEma(new Map([['w', p]]), 0.999);
      p.assign(tf.tensor1d([3, 2]));
      ema.update();
      expectClose(ema.stateDict().w.data as Float32Array, [1 * 0.999 + 3 * 0.001, 2], 1e-7, 0, 'ema');
      const saved = ema.stateDict();
      ema.update();
      ema.loadStateDict(saved);
      expect(ema.stateDict().w.data).toEqual(saved.w.data);
      ema.dispose();
      p.dispose();
    });
  });
});

describe('LR schedule', () => {
  const s = { baseLr: 1e-4, warmupSteps: 10, totalSteps: 110, minRatio: 0.1 };
  it('warms up linearly from 0 and the first update (step 1) gets base/warmup', () => {
    expect(cosineLrWithWarmup(0, s)).toBe(0);
    expect(cosineLrWithWarmup(1, s)).toBeCloseTo(1e-5, 15);
    expect(cosineLrWithWarmup(10, s)).toBeCloseTo(1e-4, 15);
  });
  it('follows the cosine down to lr*min_ratio', () => {
    expect(cosineLrWithWarmup(60, s)).toBeCloseTo(1e-4 * (0.1 + 0.9 * 0.5), 15);
    expect(cosineLrWithWarmup(110, s)).toBeCloseTo(1e-5, 15);
    expect(cosineLrWithWarmup(35, s)).toBeCloseTo(1e-4 * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * 0.25))), 15);
  });
  it('is constant after warm-up with min_ratio 1', () => {
    expect(cosineLrWithWarmup(77, { ...s, minRatio: 1 })).toBe(1e-4);
  });
});
