import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@trm/augment';
import { type TensorDict } from '@trm/tensor-core';
import { initBackend } from '@trm/tensor-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrainLoader } from '@trm/trm';
import { createModel, disposeCarry } from '@trm/trm';
import type { Batch, Carry, TrmModel } from '@trm/trm';
import { localUpdate, type UpdateSettings } from '@trm/trm';
import { toyArch, toyCopySplit } from '@trm/trm';
import { createDataParallelModel } from './data-parallel-model.ts';
import { maxRelDiff } from './testing/compare.ts';

const arch = toyArch({ num_puzzle_identifiers: 5 });
const data = toyCopySplit({ groups: 12, perGroup: 2, seqLen: arch.seq_len, vocab: arch.vocab_size, numIds: 5, seed: 4 });
const B = 6;
const settings: UpdateSettings = { betas: [0.9, 0.95], weightDecay: 0.1, emaRate: 0.9 };
const lrs = [3e-3, 1e-3, 2e-3];

beforeAll(async () => {
  await initBackend('wasm');
});

/** the worst maxRelDiff over the tensors of two dicts with the same names */
function maxRelDiffDict(a: TensorDict, b: TensorDict): number {
  return Math.max(0, ...Object.entries(a).map(([name, t]) => maxRelDiff(t.data as Float32Array, b[name].data as Float32Array)));
}

/** One forward/backward of `model` on `batch` from `carry`; returns the new carry and the dense gradients. */
function pass(model: TrmModel, carry: Carry, batch: Batch, rngState: number[]) {
  const out = model.forwardBackward(carry, batch, { rng: createRng(0, rngState), lossScale: 1 / B });
  if (out.puzzleEmbGrad) out.puzzleEmbGrad.grad.dispose();
  return out;
}

describe('DataParallelModel.attachOptimizer (AdamATan2 + EMA sharded over the workers)', () => {
  it('moves the weights as localUpdate on one model, keeps the gradients in the workers, and reloads its state exactly', async () => {
    const single = createModel(arch, 3);
    const dp = await createDataParallelModel(arch, 3, { workers: 2, backend: 'wasm' });
    try {
      const local = localUpdate(single.params, settings);
      const sharded = dp.attachOptimizer(settings);
      const batches = (() => {
        const loader = createTrainLoader(data, B, 5);
        return Array.from({ length: lrs.length + 1 }, () => loader.next().batch);
      })();
      const rngStates = batches.map((_, i) => [...createRng(100 + i).state()]);
      let carries: Carry[] = [single.initialCarry(B), dp.initialCarry(B)];
      lrs.forEach((lr, s) => {
        const [a, b] = [pass(single, carries[0], batches[s], rngStates[s]), pass(dp, carries[1], batches[s], rngStates[s])];
        expect(b.grads.size).toBe(0); // the summed gradients stay in shared memory for the sharded step
        expect(a.grads.size).toBeGreaterThan(0);
        local.step(a.grads, lr, s + 1);
        sharded.step(lr, s + 1);
        tf.dispose([...a.grads.values()]);
        carries.forEach(disposeCarry);
        carries = [a.carry, b.carry];
      });
      // the same update up to float summation order (gradients) and the last bit of atan2
      expect(maxRelDiffDict(single.stateDict(), dp.stateDict())).toBeLessThan(1e-5);
      expect(maxRelDiffDict(local.optimizerState(), sharded.optimizerState())).toBeLessThan(1e-4);
      expect(maxRelDiffDict(local.emaState()!, sharded.emaState()!)).toBeLessThan(1e-5);
      expect(dp.stateDict()['model.inner.lm_head.weight'].data).not.toEqual(sharded.emaState()!['model.inner.lm_head.weight'].data);
      local.dispose();

      // save after 3 updates, take a 4th, reload the saved state and take the 4th again: the same bits
      const saved = { weights: dp.stateDict(), optim: sharded.optimizerState(), ema: sharded.emaState() };
      const fourth = () => {
        const out = pass(dp, carries[1], batches[3], rngStates[3]);
        disposeCarry(out.carry);
        sharded.step(5e-3, 4);
        return { weights: dp.stateDict(), optim: sharded.optimizerState(), ema: sharded.emaState()! };
      };
      const first = fourth();
      expect(first.weights['model.inner.lm_head.weight'].data).not.toEqual(saved.weights['model.inner.lm_head.weight'].data);
      dp.loadStateDict(saved.weights);
      sharded.loadState(saved.optim, saved.ema);
      const again = fourth();
      for (const part of ['weights', 'optim', 'ema'] as const) {
        for (const [name, t] of Object.entries(first[part])) expect(again[part][name].data, `${part} ${name}`).toEqual(t.data);
      }
      carries.forEach(disposeCarry);

      expect(() => dp.attachOptimizer(settings)).toThrow(/already has an optimizer/);
      const { ['model.inner.lm_head.weight.exp_avg']: _dropped, ...partial } = saved.optim;
      expect(() => sharded.loadState(partial, saved.ema)).toThrow(/missing "model.inner.lm_head.weight.exp_avg"/);
      expect(() => sharded.loadState(saved.optim, null)).toThrow(/EMA state missing but the EMA is on/);
    } finally {
      single.dispose();
      await dp.close();
    }
  }, 120_000);

  it('applies an update deferred into the next step request (before the replicas load the weights) as one sent at once', async () => {
    const [deferred, immediate] = [await createDataParallelModel(arch, 3, { workers: 2, backend: 'wasm' }), await createDataParallelModel(arch, 3, { workers: 2, backend: 'wasm' })];
    try {
      const optimizers = [deferred.attachOptimizer(settings), immediate.attachOptimizer(settings)];
      const loader = createTrainLoader(data, B, 5);
      let carries: Carry[] = [deferred.initialCarry(B), immediate.initialCarry(B)];
      const losses: number[][] = [[], []];
      for (let s = 0; s < 3; s++) {
        const batch = loader.next().batch;
        [deferred, immediate].forEach((model, k) => {
          const out = pass(model, carries[k], batch, [...createRng(7 + s).state()]);
          losses[k].push(out.lossTotal);
          disposeCarry(carries[k]);
          carries[k] = out.carry;
          optimizers[k].step(lrs[s], s + 1);
        });
        void immediate.params; // reading the weights sends the update at once
      }
      // the second and third passes already saw the previous update in both models: equal losses, equal bits
      expect(losses[0]).toEqual(losses[1]);
      expect(losses[0][1]).not.toBe(losses[0][0]);
      const [a, b] = [deferred.stateDict(), immediate.stateDict()];
      for (const [name, t] of Object.entries(a)) expect(t.data, name).toEqual(b[name].data);
      expect(optimizers[0].optimizerState()).toEqual(optimizers[1].optimizerState());
      carries.forEach(disposeCarry);
    } finally {
      await Promise.all([deferred.close(), immediate.close()]);
    }
  }, 120_000);
});
