// ZeRO-1 on the workers (zero1.ts + optimizer-shard.ts) against AdamATan2 + EMA on one model (createOptimizer).
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@trm/augment';
import { type TensorDict } from '@trm/tensor-core';
import { initBackend } from '@trm/tensor-node';
import { createModel, createOptimizer, createTrainLoader, disposeCarry, H_INIT, L_INIT, toyArch, toyCopySplit, type Batch, type Carry, type OptimizerSettings } from '@trm/trm';
import { beforeAll, describe, expect, it } from 'vitest';
import { createReplicaGroup, type ReplicaGroup } from './replicas.ts';
import { maxRelDiff } from './testing/compare.ts';
import { startZero1 } from './zero1.ts';

const arch = toyArch({ num_puzzle_identifiers: 5 });
const data = toyCopySplit({ groups: 12, perGroup: 2, seqLen: arch.seq_len, vocab: arch.vocab_size, numIds: 5, seed: 4 });
const B = 6;
const settings: OptimizerSettings = { betas: [0.9, 0.95], weightDecay: 0.1, emaRate: 0.9 };
const lrs = [3e-3, 1e-3, 2e-3];

beforeAll(async () => {
  await initBackend('wasm');
});

/** the worst maxRelDiff over the tensors of two dicts with the same names */
function maxRelDiffDict(a: TensorDict, b: TensorDict): number {
  return Math.max(0, ...Object.entries(a).map(([name, t]) => maxRelDiff(t.data as Float32Array, b[name].data as Float32Array)));
}

describe('ZeRO-1: AdamATan2 + EMA sharded over the workers', () => {
  it('moves the weights as createOptimizer on one model, and reloads its state exactly', async () => {
    const single = createModel(arch, 3);
    const main = createModel(arch, 3);
    const dict = main.stateDict();
    const group: ReplicaGroup = await createReplicaGroup(arch, 3, main.params, { hInit: dict[H_INIT].data as Float32Array, lInit: dict[L_INIT].data as Float32Array }, { workers: 2, backend: 'wasm' });
    try {
      const local = createOptimizer(single.params, settings);
      group.publishWeights(main.params);
      const zero = startZero1(group, settings);
      const loader = createTrainLoader(data, B, 5);
      const batches: Batch[] = Array.from({ length: lrs.length + 1 }, () => loader.next().batch);
      const rngStates = batches.map((_, i) => [...createRng(100 + i).state()]);
      // the workers' step: the weights from the shared vector (what the shards updated), gradients left there
      const workersStep = (carry: Carry, s: number) => group.step({ mode: 'train', carry, batch: batches[s], rng: createRng(0, rngStates[s]), lossScale: 1 / B, training: true, logits: false, puzzleEmb: main.puzzleEmb, update: null }).out.carry;
      const weights = () => {
        group.readWeights(main.params);
        return main.stateDict();
      };
      let carries: Carry[] = [single.initialCarry(B), main.initialCarry(B)];
      lrs.forEach((lr, s) => {
        const a = single.forwardBackward(carries[0], batches[s], { rng: createRng(0, rngStates[s]), lossScale: 1 / B });
        a.puzzleEmbGrad?.grad.dispose();
        const b = workersStep(carries[1], s);
        local.step(a.grads, lr, s + 1);
        zero.update(lr, s + 1);
        tf.dispose([...a.grads.values()]);
        carries.forEach(disposeCarry);
        carries = [a.carry, b];
      });
      // the same update up to float summation order (gradients) and the last bit of atan2
      expect(maxRelDiffDict(single.stateDict(), weights())).toBeLessThan(1e-5);
      expect(maxRelDiffDict(local.optimizerState(), zero.optimizerState())).toBeLessThan(1e-4);
      expect(maxRelDiffDict(local.emaState()!, zero.emaState()!)).toBeLessThan(1e-5);
      expect(weights()['model.inner.lm_head.weight'].data).not.toEqual(zero.emaState()!['model.inner.lm_head.weight'].data);
      local.dispose();

      // save after 3 updates, take a 4th, reload the saved state and take the 4th again: the same bits
      const saved = { weights: weights(), optim: zero.optimizerState(), ema: zero.emaState() };
      const fourth = () => {
        disposeCarry(workersStep(carries[1], 3));
        zero.update(5e-3, 4);
        return { weights: weights(), optim: zero.optimizerState(), ema: zero.emaState()! };
      };
      const first = fourth();
      expect(first.weights['model.inner.lm_head.weight'].data).not.toEqual(saved.weights['model.inner.lm_head.weight'].data);
      main.loadStateDict(saved.weights);
      group.publishWeights(main.params);
      zero.loadState(saved.optim, saved.ema);
      const again = fourth();
      for (const part of ['weights', 'optim', 'ema'] as const) {
        for (const [name, t] of Object.entries(first[part])) expect(again[part][name].data, `${part} ${name}`).toEqual(t.data);
      }
      carries.forEach(disposeCarry);

      const { ['model.inner.lm_head.weight.exp_avg']: _dropped, ...partial } = saved.optim;
      expect(() => zero.loadState(partial, saved.ema)).toThrow(/missing "model.inner.lm_head.weight.exp_avg"/);
      expect(() => zero.loadState(saved.optim, null)).toThrow(/EMA state missing but the EMA is on/);
    } finally {
      single.dispose();
      main.dispose();
      await group.close();
    }
  }, 120_000);
});
