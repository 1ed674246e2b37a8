import * as tf from '@tensorflow/tfjs-core';
import { createRng, deriveSeed } from '@trm/augment';
import { initBackend } from '@trm/tensor-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTrainLoader } from '@trm/trm';
import { evaluateModel } from '@trm/trm';
import { createModel, disposeCarry } from '@trm/trm';
import type { Carry, TrainOutput, TrmModel } from '@trm/trm';
import { toyArch, toyCopySplit } from '@trm/trm';
import { createDataParallelModel, type DataParallelModel } from './data-parallel-model.ts';
import { maxRelDiff } from './testing/compare.ts';

const arch = toyArch({ num_puzzle_identifiers: 5, halt_max_steps: 4 });
const data = toyCopySplit({ groups: 12, perGroup: 2, seqLen: arch.seq_len, vocab: arch.vocab_size, numIds: 5, seed: 7 });
const B = 6;

let parallel: DataParallelModel;

beforeAll(async () => {
  await initBackend('wasm');
  parallel = await createDataParallelModel(arch, 11, { workers: 2, backend: 'wasm' });
}, 120_000);

afterAll(async () => {
  await parallel?.close();
});

interface Trace {
  loss: number[];
  halted: number[][];
  grads: Map<string, Float32Array>[];
  puzzle: { ids: number[]; grad: Float32Array }[];
  zH: Float32Array;
  weights: Map<string, Float32Array>;
}

/**
 * `steps` ACT calls with the carry kept across calls; after each call every param moves by -lr * (the
 * reference model's gradient), so both models see the same weights and only the per-step results are compared.
 */
function trace(model: TrmModel, steps: number, sgd: (grads: Map<string, tf.Tensor>) => Map<string, tf.Tensor>): Trace {
  // q_halt > 0 from the start, so rows halt after one step unless the exploration draw keeps them going: the
  // halting pattern then depends on every worker drawing exactly the single model's exploration numbers.
  const dict = model.stateDict();
  dict['model.inner.q_head.bias'] = { dtype: 'float32', shape: [2], data: Float32Array.of(2, 0) };
  model.loadStateDict(dict);
  const loader = createTrainLoader(data, B, 5);
  const rng = createRng(deriveSeed(5, 'act'));
  let carry: Carry = model.initialCarry(B);
  const out: Trace = { loss: [], halted: [], grads: [], puzzle: [], zH: new Float32Array(0), weights: new Map() };
  for (let i = 0; i < steps; i++) {
    const r: TrainOutput = model.forwardBackward(carry, loader.next().batch, { rng, lossScale: 1 / B });
    disposeCarry(carry);
    carry = r.carry;
    out.loss.push(r.lossTotal);
    out.halted.push([...r.carry.halted]);
    out.grads.push(new Map([...r.grads].map(([k, g]) => [k, g.dataSync() as Float32Array])));
    out.puzzle.push({ ids: [...r.puzzleEmbGrad!.ids], grad: r.puzzleEmbGrad!.grad.dataSync() as Float32Array });
    const step = sgd(r.grads);
    for (const [name, p] of model.params) tf.tidy(() => p.assign(tf.sub(p, tf.mul(step.get(name)!, 0.05))));
    tf.dispose([...r.grads.values(), r.puzzleEmbGrad!.grad]);
  }
  out.zH = carry.zH.dataSync() as Float32Array;
  disposeCarry(carry);
  for (const [name, p] of model.params) out.weights.set(name, p.dataSync() as Float32Array);
  return out;
}

describe('createDataParallelModel', () => {
  it('2 workers give the single model results (losses, halting, gradients, carry) up to summation order', () => {
    const single = createModel(arch, 11);
    const steps = 6;
    const refGrads: Map<string, tf.Tensor>[] = [];
    const ref = trace(single, steps, (g) => {
      const copy = new Map([...g].map(([k, t]) => [k, tf.clone(t)]));
      refGrads.push(copy);
      return copy;
    });
    let i = 0;
    const par = trace(parallel, steps, () => refGrads[i++]);
    refGrads.forEach((m) => tf.dispose([...m.values()]));
    single.dispose();

    expect(par.halted).toEqual(ref.halted);
    expect(ref.halted.flat().some((h) => h === 0) && ref.halted.flat().some((h) => h === 1)).toBe(true); // ACT really ran
    for (let s = 0; s < steps; s++) {
      expect(Math.abs(par.loss[s] - ref.loss[s]) / ref.loss[s]).toBeLessThan(1e-5);
      for (const [name, g] of ref.grads[s]) expect(maxRelDiff(g, par.grads[s].get(name)!), `step ${s} ${name}`).toBeLessThan(1e-4);
      expect(par.puzzle[s].ids).toEqual(ref.puzzle[s].ids);
      expect(maxRelDiff(ref.puzzle[s].grad, par.puzzle[s].grad)).toBeLessThan(1e-4);
    }
    expect(maxRelDiff(ref.zH, par.zH)).toBeLessThan(1e-4);
    for (const [name, w] of ref.weights) expect(maxRelDiff(w, par.weights.get(name)!), name).toBeLessThan(1e-6);
  });

  it('shards evaluation: evaluateModel on 2 workers predicts what one model predicts (uneven split, padded batch)', () => {
    const single = createModel(arch, 4);
    const dict = single.stateDict();
    const table = dict['model.inner.puzzle_emb.weights'];
    table.data = Float32Array.from({ length: table.data.length }, (_, i) => Math.sin(i)); // distinct rows per puzzle id
    single.loadStateDict(dict);
    parallel.loadStateDict(dict);
    const test = toyCopySplit({ groups: 11, perGroup: 1, seqLen: arch.seq_len, vocab: arch.vocab_size, numIds: 5, seed: 9 });
    const opts = { batchSize: 5, trajectoryExamples: 3 };
    const ref = evaluateModel(single, test, opts);
    const got = evaluateModel(parallel, test, opts);
    single.dispose();
    expect(Array.from(got.preds)).toEqual(Array.from(ref.preds));
    expect(Array.from(got.steps)).toEqual(Array.from(ref.steps));
    expect(maxRelDiff(ref.qHalt, got.qHalt)).toBeLessThan(1e-5);
    expect(got.metrics).toEqual(ref.metrics);
  });

  it('works with more workers than rows (idle workers add zeros to the gradient sum)', async () => {
    const three = await createDataParallelModel(arch, 11, { workers: 3, backend: 'wasm' });
    const single = createModel(arch, 11);
    try {
      const batch = createTrainLoader(toyCopySplit({ groups: 4, perGroup: 1, seqLen: arch.seq_len, vocab: arch.vocab_size, numIds: 5, seed: 2 }), 2, 0).next().batch;
      const results = [single, three].map((m) => {
        const carry = m.initialCarry(2);
        const r = m.forwardBackward(carry, batch, { rng: createRng(1), lossScale: 0.5 });
        disposeCarry(carry);
        disposeCarry(r.carry);
        const grads = new Map([...r.grads].map(([k, g]) => [k, g.dataSync() as Float32Array]));
        tf.dispose([...r.grads.values(), ...(r.puzzleEmbGrad ? [r.puzzleEmbGrad.grad] : [])]);
        return { loss: r.lossTotal, grads, ids: [...r.puzzleEmbGrad!.ids] };
      });
      expect(results[1].loss).toBeCloseTo(results[0].loss, 6);
      expect(results[1].ids).toEqual(results[0].ids);
      for (const [name, g] of results[0].grads) expect(maxRelDiff(g, results[1].grads.get(name)!), name).toBeLessThan(1e-5);
    } finally {
      single.dispose();
      await three.close();
    }
  }, 120_000);
});
