import { initBackend } from '@trm/tensor-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { createModel } from '../model/model.ts';
import { toyArch, toyCopySplit } from '../train/toy.ts';
import { combineEvalBatches, evaluateBatches, evaluateModel } from './evaluate.ts';

beforeAll(async () => {
  await initBackend('cpu');
});

describe('evaluateModel', () => {
  const arch = toyArch({ halt_max_steps: 3 });
  const data = toyCopySplit({ groups: 5, perGroup: 1, seqLen: 6, vocab: 6, numIds: 3, seed: 4 });
  // example 2 has no label at all: it must not be scored; a pad row must not be scored either
  data.labels.fill(0, 2 * 6, 3 * 6);
  // make example 4 trivially right: its labels are what the untrained model predicts (checked below)

  it('runs halt_max_steps steps per batch, scores real labelled rows only, keeps trajectories', () => {
    const model = createModel(arch, 0);
    const progress: number[] = [];
    const r = evaluateModel(model, data, { batchSize: 2, trajectoryExamples: 3, onProgress: (done) => progress.push(done) });
    expect(progress).toEqual([2, 4, 5]);
    expect(r.numExamples).toBe(5);
    expect(Array.from(r.steps)).toEqual([3, 3, 3, 3, 3]);
    expect(r.metrics.mean_steps).toBe(3);
    expect(r.metrics.count).toBe(4);
    expect(r.trajectory.length).toBe(3);
    expect(r.trajectory.every((t) => t.length === 3)).toBe(true);
    expect(r.trajectory[1][2]).toEqual(r.preds.subarray(6, 12));
    // metrics agree with a recount from the returned predictions
    let exact = 0;
    let token = 0;
    let q = 0;
    for (const k of [0, 1, 3, 4]) {
      let right = 0;
      for (let s = 1; s < 6; s++) if (r.preds[k * 6 + s] === data.labels[k * 6 + s]) right++;
      token += right / 5;
      exact += right === 5 ? 1 : 0;
      expect(r.correct[k]).toBe(right === 5 ? 1 : 0);
      q += (r.qHalt[k] >= 0) === (right === 5) ? 1 : 0;
    }
    expect(r.correct[2]).toBe(0);
    expect(r.metrics.token_accuracy).toBeCloseTo(token / 4, 12);
    expect(r.metrics.exact_accuracy).toBeCloseTo(exact / 4, 12);
    expect(r.metrics.q_halt_accuracy).toBeCloseTo(q / 4, 12);
    expect(r.metrics.accuracy_per_step.length).toBe(3);
    expect(r.metrics.accuracy_per_step[2]).toBeCloseTo(r.metrics.token_accuracy, 12);
    expect(r.metrics.exact_accuracy_per_step[2]).toBeCloseTo(r.metrics.exact_accuracy, 12);
    model.dispose();
  });

  it('gives the same answers whatever the batch size (padding does not leak into results)', () => {
    const model = createModel(arch, 1);
    const a = evaluateModel(model, data, { batchSize: 2, trajectoryExamples: 0 });
    const b = evaluateModel(model, data, { batchSize: 8, trajectoryExamples: 0 });
    expect(b.preds).toEqual(a.preds);
    expect(b.metrics).toEqual(a.metrics);
    for (let k = 0; k < 5; k++) expect(b.qHalt[k]).toBeCloseTo(a.qHalt[k], 5);
    model.dispose();
  });

  it('scores a perfect answer as exact', () => {
    const model = createModel(arch, 2);
    const first = evaluateModel(model, data, { batchSize: 5, trajectoryExamples: 0 });
    const solved = { ...data, labels: Uint8Array.from(first.preds), ignoreLabelId: null };
    const r = evaluateModel(model, solved, { batchSize: 5, trajectoryExamples: 0 });
    expect(r.metrics.exact_accuracy).toBe(1);
    expect(r.metrics.token_accuracy).toBe(1);
    expect(Array.from(r.correct)).toEqual([1, 1, 1, 1, 1]);
    model.dispose();
  });

  it('resumes from a batch offset: the batches before it plus those after give the uninterrupted result exactly', () => {
    const model = createModel(arch, 3);
    const opts = { batchSize: 2, trajectoryExamples: 3 };
    const whole = evaluateModel(model, data, opts);
    const first = [...evaluateBatches(model, data, opts)].slice(0, 1); // an evaluation stopped after batch 0
    const rest = [...evaluateBatches(model, data, { ...opts, fromBatch: 1 })];
    expect(rest.map((b) => [b.batch, b.start, b.count])).toEqual([[1, 2, 2], [2, 4, 1]]);
    const resumed = combineEvalBatches(data, arch.halt_max_steps, 3, [...first, ...rest]);
    expect(resumed.metrics).toEqual(whole.metrics);
    expect(resumed.preds).toEqual(whole.preds);
    expect(resumed.qHalt).toEqual(whole.qHalt);
    expect(resumed.trajectory).toEqual(whole.trajectory);
    expect(() => combineEvalBatches(data, arch.halt_max_steps, 3, rest)).toThrow(/batch 1 starts at example 2, expected 0/);
    model.dispose();
  });

  it('refuses a split of another shape', () => {
    const model = createModel(arch, 0);
    expect(() => evaluateModel(model, { ...data, vocabSize: 7 }, { batchSize: 2, trajectoryExamples: 0 })).toThrow(/arch.vocab_size is 6 but the test split has 7/);
    model.dispose();
  });
});
