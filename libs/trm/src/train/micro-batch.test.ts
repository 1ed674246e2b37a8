import * as tf from '@tensorflow/tfjs-core';
import { createRng, deriveSeed, type Rng } from '@trm/augment';
import { initBackend } from '@trm/tensor-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrainLoader } from '../data/loader.ts';
import { createModel, disposeCarry } from '../model/model.ts';
import type { Carry, TrmModel } from '../model/types.ts';
import { createTrainer } from './trainer.ts';
import { toyArch, toyCopySplit, toyTrainConfig } from './toy.ts';
import { createMicroBatchedModel } from './micro-batch.ts';
import { maxRelDiff } from '../testing/compare.ts';

const arch = toyArch({ num_puzzle_identifiers: 5, halt_max_steps: 4, halt_exploration_prob: 0.5 });
const data = toyCopySplit({ groups: 12, perGroup: 2, seqLen: arch.seq_len, vocab: arch.vocab_size, numIds: 5, seed: 7 });
const B = 6;

beforeAll(async () => {
  await initBackend('cpu');
});

interface Trace {
  loss: number[];
  metrics: number[][];
  halted: number[][];
  steps: number[][];
  preds: number[][];
  grads: Map<string, Float32Array>[];
  puzzle: { ids: number[]; grad: Float32Array }[];
  zH: Float32Array;
  zL: Float32Array;
  rng: number[];
}

/** A model with distinct puzzle-embedding rows and q_halt > 0 from the start: rows halt after one step unless the
 *  exploration draw keeps them going, so the halting pattern depends on every row getting the unsplit draws. */
function forcedHaltModel(seed: number): TrmModel {
  const model = createModel(arch, seed);
  const dict = model.stateDict();
  dict['model.inner.q_head.bias'] = { dtype: 'float32', shape: [2], data: Float32Array.of(2, 0) };
  const table = dict['model.inner.puzzle_emb.weights'];
  table.data = Float32Array.from({ length: table.data.length }, (_, i) => Math.sin(i));
  model.loadStateDict(dict);
  return model;
}

/** `steps` ACT calls with the carry kept across calls; the weights move by plain SGD on each call's gradients. */
function trace(model: TrmModel, steps: number): Trace {
  const loader = createTrainLoader(data, B, 5);
  const rng: Rng = createRng(deriveSeed(5, 'act'));
  let carry: Carry = model.initialCarry(B);
  const out: Trace = { loss: [], metrics: [], halted: [], steps: [], preds: [], grads: [], puzzle: [], zH: new Float32Array(0), zL: new Float32Array(0), rng: [] };
  for (let i = 0; i < steps; i++) {
    const r = model.forwardBackward(carry, loader.next().batch, { rng, lossScale: 1 / B });
    disposeCarry(carry);
    carry = r.carry;
    out.loss.push(r.lossTotal);
    out.metrics.push(Object.values(r.metrics));
    out.halted.push([...r.carry.halted]);
    out.steps.push([...r.carry.steps]);
    out.preds.push([...r.preds]);
    out.grads.push(new Map([...r.grads].map(([k, g]) => [k, g.dataSync() as Float32Array])));
    out.puzzle.push({ ids: [...r.puzzleEmbGrad!.ids], grad: r.puzzleEmbGrad!.grad.dataSync() as Float32Array });
    for (const [name, p] of model.params) tf.tidy(() => p.assign(tf.sub(p, tf.mul(r.grads.get(name)!, 0.05))));
    tf.dispose([...r.grads.values(), r.puzzleEmbGrad!.grad]);
  }
  out.zH = carry.zH.dataSync() as Float32Array;
  out.zL = carry.zL.dataSync() as Float32Array;
  disposeCarry(carry);
  out.rng = [...rng.state()];
  return out;
}

function expectSameTrace(got: Trace, ref: Trace): void {
  expect(got.halted).toEqual(ref.halted);
  expect(got.steps).toEqual(ref.steps);
  expect(got.preds).toEqual(ref.preds);
  expect(got.rng).toEqual(ref.rng);
  for (let s = 0; s < ref.loss.length; s++) {
    expect(Math.abs(got.loss[s] - ref.loss[s]) / ref.loss[s], `step ${s} loss`).toBeLessThan(1e-5);
    got.metrics[s].forEach((m, k) => expect(m, `step ${s} metric ${k}`).toBeCloseTo(ref.metrics[s][k], 4));
    for (const [name, g] of ref.grads[s]) expect(maxRelDiff(g, got.grads[s].get(name)!), `step ${s} ${name}`).toBeLessThan(1e-4);
    expect(got.puzzle[s].ids).toEqual(ref.puzzle[s].ids);
    expect(maxRelDiff(ref.puzzle[s].grad, got.puzzle[s].grad), `step ${s} puzzle grad`).toBeLessThan(1e-4);
  }
  expect(maxRelDiff(ref.zH, got.zH)).toBeLessThan(1e-4);
  expect(maxRelDiff(ref.zL, got.zL)).toBeLessThan(1e-4);
}

describe('createMicroBatchedModel', () => {
  it('chunks of 2 of a batch of 6 give the unsplit results (loss, halting, grads, carry, RNG) with no tensor leak', () => {
    const steps = 6;
    const single = forcedHaltModel(11);
    const ref = trace(single, steps);
    single.dispose();
    // ACT really ran: some rows halted, some continued, some continued only because of exploration
    const flat = ref.halted.flat();
    expect(flat.some((h) => h === 0) && flat.some((h) => h === 1)).toBe(true);
    expect(ref.steps.flat().some((s) => s >= 2)).toBe(true);

    const before = tf.memory().numTensors;
    const micro = createMicroBatchedModel(forcedHaltModel(11), 2);
    const modelTensors = tf.memory().numTensors - before;
    const got = trace(micro, steps);
    expect(tf.memory().numTensors - before).toBe(modelTensors);
    micro.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expectSameTrace(got, ref);
  });

  it('uneven chunks (4 -> 3 + 3) and forward without gradients match the unsplit model', () => {
    const ref = trace(forcedHaltModel(3), 3);
    const traced = createMicroBatchedModel(forcedHaltModel(3), 4);
    expectSameTrace(trace(traced, 3), ref);
    traced.dispose();

    const single = forcedHaltModel(3);
    const micro = createMicroBatchedModel(forcedHaltModel(3), 4);
    const batch = createTrainLoader(data, B, 1).next().batch;
    const [a, b] = [single, micro].map((m) => {
      const carry = m.initialCarry(B);
      const rng = createRng(9);
      const out = m.forward(carry, batch, { training: true, rng, logits: true });
      const z = out.carry.zH.dataSync() as Float32Array;
      disposeCarry(carry);
      disposeCarry(out.carry);
      return { out, z, rng: [...rng.state()] };
    });
    expect([...b.out.carry.halted]).toEqual([...a.out.carry.halted]);
    expect([...b.out.preds]).toEqual([...a.out.preds]);
    expect(b.rng).toEqual(a.rng);
    expect(maxRelDiff(a.out.qHalt, b.out.qHalt)).toBeLessThan(1e-5);
    expect(maxRelDiff(a.out.logits!, b.out.logits!)).toBeLessThan(1e-5);
    expect(maxRelDiff(a.z, b.z)).toBeLessThan(1e-5);
    expect(b.out.lossTotal).toBeCloseTo(a.out.lossTotal, 5);
    single.dispose();
    micro.dispose();
  });

  it('rejects a bad micro-batch size and a batch of the wrong size', () => {
    const model = createModel(arch, 0);
    expect(() => createMicroBatchedModel(model, 0)).toThrow(/micro-batch size: expected a positive integer, got 0/);
    expect(() => createMicroBatchedModel(model, 1.5)).toThrow(/positive integer/);
    const micro = createMicroBatchedModel(model, 2);
    const carry = micro.initialCarry(B);
    const batch = createTrainLoader(data, 4, 0).next().batch;
    expect(() => micro.forwardBackward(carry, batch, { rng: createRng(0), lossScale: 1 })).toThrow(/expected 6 rows of 6 tokens/);
    disposeCarry(carry);
    micro.dispose();
  });

  it('train.micro_batch_size: the trainer takes the same steps as without it', () => {
    const run = (micro: number) => {
      const trainer = createTrainer({ arch, train: toyTrainConfig({ global_batch_size: B, micro_batch_size: micro }), data, seed: 2 });
      const metrics = [0, 1, 2, 3].map(() => trainer.step());
      const weights = trainer.weightsForEval();
      trainer.dispose();
      return { metrics, weights };
    };
    const ref = run(0);
    const got = run(4);
    got.metrics.forEach((m, s) => {
      expect(m.count).toBe(ref.metrics[s].count);
      expect(m.steps).toBe(ref.metrics[s].steps);
      expect(m.loss).toBeCloseTo(ref.metrics[s].loss, 5);
    });
    for (const [name, t] of Object.entries(ref.weights)) {
      expect(maxRelDiff(t.data as Float32Array, got.weights[name].data as Float32Array), name).toBeLessThan(1e-3);
    }
    expect(() => run(-1)).toThrow(/train.micro_batch_size = -1: expected >= 0/);
  });
});
