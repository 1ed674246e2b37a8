import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@trm/tensor-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { createModel, createTrainer, evaluateModel, type TrainStepMetrics } from '@trm/trm';
import { toyArch, toyCopySplit, toyTrainConfig } from '@trm/trm';
import type { DataParallelModel } from './data-parallel-model.ts';
import { createParallelTrainer } from './parallel-trainer.ts';

const arch = toyArch({ num_puzzle_identifiers: 5 });
const data = toyCopySplit({ groups: 12, perGroup: 2, seqLen: arch.seq_len, vocab: arch.vocab_size, numIds: 5, seed: 3 });
const train = toyTrainConfig({ global_batch_size: 6, epochs: 6, lr: 1e-3 });

beforeAll(async () => {
  await initBackend('wasm');
});

function run(trainer: { done: boolean; step(): TrainStepMetrics }): TrainStepMetrics[] {
  const metrics: TrainStepMetrics[] = [];
  while (!trainer.done) metrics.push(trainer.step());
  return metrics;
}

describe('createParallelTrainer', () => {
  it('trains like createTrainer: same loss curve and weights after every step, up to summation order', async () => {
    const single = createTrainer({ arch, train, data, seed: 2 });
    const ref = run(single);
    const refState = single.state();
    const refEval = single.weightsForEval();
    single.dispose();

    const parallel = await createParallelTrainer({ arch, train, data, seed: 2, workers: 2, backend: 'wasm' });
    const { diagnostics } = parallel.model as DataParallelModel;
    const got = [parallel.step(), parallel.step()];
    const counts = [tf.memory().numTensors, ...diagnostics.tensorCounts()];
    got.push(...run(parallel));
    expect([tf.memory().numTensors, ...diagnostics.tensorCounts()]).toEqual(counts); // no tensor leaks, here or in the workers
    // the workers run a full GC exactly when V8's gc() is exposed (node --expose-gc: the soak benchmark)
    expect(diagnostics.collectGarbage()).toBe(typeof (globalThis as { gc?: unknown }).gc === 'function');
    expect(diagnostics.lastTimings!.computeMs).toHaveLength(2);
    const state = parallel.state();
    const evalWeights = parallel.weightsForEval();
    const liveTensors = tf.memory().numTensors;
    parallel.dispose();
    expect(tf.memory().numTensors).toBeLessThan(liveTensors);

    // Deterministic for a given worker count, and resumable: 5 steps, state(), a new trainer resumes from it and
    // ends bit-identical to the uninterrupted run above.
    const first = await createParallelTrainer({ arch, train, data, seed: 2, workers: 2, backend: 'wasm' });
    const resumedMetrics: TrainStepMetrics[] = [];
    for (let i = 0; i < 5; i++) resumedMetrics.push(first.step());
    const saved = first.state();
    first.dispose();
    const second = await createParallelTrainer({ arch, train, data, seed: 2, workers: 2, backend: 'wasm', resume: saved });
    resumedMetrics.push(...run(second));
    const resumed = second.state();
    second.dispose();
    expect(resumedMetrics).toEqual(got);
    expect(resumed.meta).toEqual(state.meta);
    for (const [name, t] of Object.entries(state.tensors)) expect(resumed.tensors[name].data, name).toEqual(t.data);

    expect(ref.length).toBe(12);
    expect(got.map((m) => [m.step, m.epoch, m.count])).toEqual(ref.map((m) => [m.step, m.epoch, m.count]));
    got.forEach((m, i) => {
      expect(Math.abs(m.loss - ref[i].loss), `loss at step ${i + 1}`).toBeLessThan(1e-6); // measured: <= 1e-7
      expect(Math.abs(m.accuracy - ref[i].accuracy)).toBeLessThan(1e-9);
      expect(Math.abs(m.q_halt_loss - ref[i].q_halt_loss)).toBeLessThan(1e-6);
    });
    expect(state.meta).toEqual(refState.meta);
    for (const [name, t] of Object.entries(refState.tensors)) {
      const a = t.data as Float32Array;
      const b = state.tensors[name].data as Float32Array;
      let diff = 0;
      let scale = 1e-30;
      for (let i = 0; i < a.length; i++) {
        diff = Math.max(diff, Math.abs(a[i] - b[i]));
        scale = Math.max(scale, Math.abs(a[i]));
      }
      // weights, moments, EMA and carry, relative to the tensor's largest entry; measured: <= 2e-6 (carry z)
      expect(diff / scale, name).toBeLessThan(1e-5);
    }
    for (const [name, t] of Object.entries(refEval)) {
      const a = t.data as Float32Array;
      const b = evalWeights[name].data as Float32Array;
      expect(Math.max(...a.map((x, i) => Math.abs(x - b[i]))), `eval ${name}`).toBeLessThan(1e-6);
    }
  }, 120_000);

  it('an update deferred into the next step request equals one sent at once (reading the model sends it)', async () => {
    const [deferred, immediate] = [await createParallelTrainer({ arch, train, data, seed: 5, workers: 2, backend: 'wasm' }), await createParallelTrainer({ arch, train, data, seed: 5, workers: 2, backend: 'wasm' })];
    try {
      const losses: number[][] = [[], []];
      for (let s = 0; s < 4; s++) {
        losses[0].push(deferred.step().loss);
        losses[1].push(immediate.step().loss);
        void immediate.model; // reading the model sends the pending update at once and reads the weights back
      }
      expect(losses[0]).toEqual(losses[1]);
      expect(losses[0][1]).not.toBe(losses[0][0]);
      const [a, b] = [deferred.state(), immediate.state()];
      for (const [name, t] of Object.entries(a.tensors)) expect(t.data, name).toEqual(b.tensors[name].data);
    } finally {
      deferred.dispose();
      immediate.dispose();
    }
  }, 120_000);

  it('keeps the weights and optimizer state of the previous step when the loss is not finite', async () => {
    const trainer = await createParallelTrainer({ arch, train, data, seed: 2, workers: 2, backend: 'wasm' });
    try {
      trainer.step();
      const dict = trainer.model.stateDict();
      const head = dict['model.inner.lm_head.weight'];
      head.data = new Float32Array(head.data.length).fill(Number.NaN);
      trainer.model.loadStateDict(dict);
      const before = trainer.state();
      expect(() => trainer.step()).toThrow(/training diverged at step 2 .*loss is NaN/);
      expect(trainer.stepCount).toBe(1);
      const after = trainer.state();
      expect(Object.keys(after.tensors).sort()).toEqual(Object.keys(before.tensors).sort());
      for (const [name, t] of Object.entries(before.tensors)) expect(after.tensors[name].data, name).toEqual(t.data);
    } finally {
      trainer.dispose();
    }
  }, 120_000);

  it('micro_batch_size: every worker runs its rows in micro-batches, with the same steps as the unsplit in-thread trainer', async () => {
    const short = { ...train, epochs: 2 };
    const single = createTrainer({ arch, train: short, data, seed: 4 });
    const ref = run(single);
    const refState = single.state();
    single.dispose();
    // 2 workers x 3 rows, micro-batches of 2: chunks 2 + 1 in each worker
    const parallel = await createParallelTrainer({ arch, train: { ...short, micro_batch_size: 2 }, data, seed: 4, workers: 2, backend: 'wasm' });
    expect((parallel.model as DataParallelModel).workers).toBe(2); // not wrapped by the trainer's own micro-batching
    const got = run(parallel);
    const state = parallel.state();
    parallel.dispose();
    expect(ref.length).toBe(4);
    expect(got.map((m) => [m.step, m.count])).toEqual(ref.map((m) => [m.step, m.count]));
    got.forEach((m, i) => expect(Math.abs(m.loss - ref[i].loss), `loss at step ${i + 1}`).toBeLessThan(1e-6));
    for (const [name, t] of Object.entries(refState.tensors)) {
      const a = t.data as Float32Array;
      const b = state.tensors[name].data as Float32Array;
      const scale = Math.max(1e-30, ...a.map(Math.abs));
      expect(Math.max(...a.map((x, i) => Math.abs(x - b[i]))) / scale, name).toBeLessThan(1e-5);
    }
    await expect(createParallelTrainer({ arch, train: { ...short, micro_batch_size: -1 }, data, seed: 4, workers: 2 })).rejects.toThrow(/train.micro_batch_size/);
  }, 120_000);
  it('evaluate(): the EMA weights evaluated on the training workers, as evaluateModel on a model of them; training ends with the same bits as without it', async () => {
    const test = toyCopySplit({ groups: 5, perGroup: 2, seqLen: arch.seq_len, vocab: arch.vocab_size, numIds: 5, seed: 9 });
    const plain = await createParallelTrainer({ arch, train, data, seed: 2, workers: 2, backend: 'wasm' });
    const plainMetrics = run(plain);
    const plainState = plain.state();
    plain.dispose();

    const trainer = await createParallelTrainer({ arch, train, data, seed: 2, workers: 2, backend: 'wasm' });
    const model = trainer.model as DataParallelModel;
    const metrics: TrainStepMetrics[] = [];
    const evals = [];
    while (!trainer.done) {
      metrics.push(trainer.step());
      if (trainer.stepCount % 4 === 0 || trainer.stepCount === 5) {
        const counts = model.diagnostics.tensorCounts();
        const res = trainer.evaluate(test, { batchSize: 4, trajectoryExamples: 0 }); // batch 4: another carry size than training's 6
        expect(model.diagnostics.tensorCounts()).toEqual(counts);
        // the same as evaluateModel on a model holding weightsForEval(), in this thread (up to summation order)
        const ref = createModel(arch, 2);
        ref.loadStateDict(trainer.weightsForEval());
        const want = evaluateModel(ref, test, { batchSize: 4, trajectoryExamples: 0 });
        ref.dispose();
        expect(res.metrics.count).toBe(10);
        expect(Math.abs(res.metrics.token_accuracy - want.metrics.token_accuracy)).toBeLessThan(1e-6);
        expect(res.preds).toEqual(want.preds);
        evals.push(res.metrics.token_accuracy);
      }
    }
    const state = trainer.state();
    trainer.dispose();
    expect(evals).toHaveLength(4); // steps 4, 5, 8, 12
    expect(metrics).toEqual(plainMetrics);
    expect(state.meta).toEqual(plainState.meta);
    for (const [name, t] of Object.entries(plainState.tensors)) expect(state.tensors[name].data, name).toEqual(t.data);
  }, 120_000);
});
