import * as tf from '@tensorflow/tfjs-core';
import { decodeSafetensors, encodeSafetensors } from '@trm/tensor-core';
import { initBackend } from '@trm/tensor-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, type TrainStepMetrics } from './trainer.ts';
import { createModel } from '../model/model.ts';
import { evaluateModel } from '../eval/evaluate.ts';
import { toyArch, toyCopySplit, toyTrainConfig } from './toy.ts';

const data = toyCopySplit({ groups: 6, perGroup: 2, seqLen: 6, vocab: 6, numIds: 3, seed: 1 });

beforeAll(async () => {
  await initBackend('cpu');
});

describe('trainer', () => {
  it('counts total steps as the reference: epochs * groups * mean examples / batch', () => {
    const t = createTrainer({ arch: toyArch(), train: toyTrainConfig({ epochs: 7 }), data, seed: 0 });
    expect(t.totalSteps).toBe(Math.floor((7 * 6 * 1) / 4));
    t.dispose();
  });

  it('resumes from state() and ends bit-identical to an uninterrupted run', () => {
    const train = toyTrainConfig({ epochs: 4, lr_min_ratio: 0.1 });
    const straight = createTrainer({ arch: toyArch(), train, data, seed: 3 });
    const straightMetrics: TrainStepMetrics[] = [];
    while (!straight.done) straightMetrics.push(straight.step());
    const end = straight.state();
    const endEval = straight.weightsForEval();
    straight.dispose();

    const first = createTrainer({ arch: toyArch(), train, data, seed: 3 });
    const metrics: TrainStepMetrics[] = [];
    for (let i = 0; i < 2; i++) metrics.push(first.step());
    // round-trip through the files the pipeline writes: state.safetensors and state.json
    const saved = first.state();
    const bytes = encodeSafetensors(saved.tensors);
    const meta = JSON.parse(JSON.stringify(saved.meta));
    first.dispose();
    const tensors = decodeSafetensors(bytes, 'state.safetensors').tensors;
    const second = createTrainer({ arch: toyArch(), train, data, seed: 3, resume: { tensors, meta } });
    expect(second.stepCount).toBe(2);
    while (!second.done) metrics.push(second.step());
    const resumed = second.state();
    const resumedEval = second.weightsForEval();
    second.dispose();

    expect(straightMetrics.length).toBe(6);
    // schedule: warm-up of 2 steps from 0, the first update uses step 1
    expect(straightMetrics.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(straightMetrics[0].lr).toBeCloseTo(train.lr / 2, 15);
    expect(straightMetrics[1].lr).toBeCloseTo(train.lr, 15);
    // sign-SGD moved the rows of the identifiers in use (1 and 2) and left the blank row 0 at its zero init
    const emb = end.tensors['model.inner.puzzle_emb.weights'].data as Float32Array;
    expect(Array.from(emb.subarray(0, 16)).every((x) => x === 0)).toBe(true);
    expect(Array.from(emb.subarray(16, 32)).some((x) => x !== 0)).toBe(true);
    expect(Array.from(emb.subarray(32, 48)).some((x) => x !== 0)).toBe(true);
    expect(metrics).toEqual(straightMetrics);
    expect(resumed.meta).toEqual(end.meta);
    expect(Object.keys(resumed.tensors).sort()).toEqual(Object.keys(end.tensors).sort());
    for (const [name, t] of Object.entries(end.tensors)) expect(resumed.tensors[name].data, name).toEqual(t.data);
    for (const [name, t] of Object.entries(endEval)) expect(resumedEval[name].data, name).toEqual(t.data);
    // the state really holds optimizer moments, the EMA and the carry
    expect(Object.keys(end.tensors).some((k) => k.endsWith('.exp_avg_sq'))).toBe(true);
    expect(end.tensors['carry.z_H'].shape).toEqual([4, 7, 16]);
    expect(end.tensors['ema.model.inner.lm_head.weight'].data).not.toEqual(end.tensors['model.inner.lm_head.weight'].data);
  });

  it('20 training steps do not grow the number of live tensors', () => {
    const t = createTrainer({ arch: toyArch(), train: toyTrainConfig({ epochs: 100 }), data, seed: 0 });
    t.step();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) t.step();
    expect(tf.memory().numTensors).toBe(before);
    const live = tf.memory().numTensors;
    t.dispose();
    expect(tf.memory().numTensors).toBeLessThan(live);
  });

  it('learns a copy task: the loss falls clearly', () => {
    const big = toyCopySplit({ groups: 32, perGroup: 1, seqLen: 6, vocab: 6, numIds: 3, seed: 2 });
    const arch = toyArch({ halt_max_steps: 1, halt_exploration_prob: 0 });
    const t = createTrainer({ arch, train: toyTrainConfig({ epochs: 10, lr: 1e-2, ema: false, global_batch_size: 8 }), data: big, seed: 5 });
    const losses: number[] = [];
    while (!t.done) losses.push(t.step().lm_loss);
    t.dispose();
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const start = mean(losses.slice(0, 5));
    const end = mean(losses.slice(-5));
    expect(losses.length).toBe(40);
    expect(end).toBeLessThan(0.3 * start);
  });

  it('refuses an arch that does not fit the data, and a state from another seed', () => {
    expect(() => createTrainer({ arch: toyArch({ vocab_size: 9 }), train: toyTrainConfig(), data, seed: 0 })).toThrow(
      /arch.vocab_size is 9 but the encoded train split has 6/,
    );
    expect(() => createTrainer({ arch: toyArch(), train: toyTrainConfig({ global_batch_size: 0 }), data, seed: 0 })).toThrow(/train.global_batch_size/);
    const t = createTrainer({ arch: toyArch(), train: toyTrainConfig(), data, seed: 0 });
    const s = t.state();
    t.dispose();
    expect(() => createTrainer({ arch: toyArch(), train: toyTrainConfig(), data, seed: 1, resume: s })).toThrow(/saved with seed 0, resuming with seed 1/);
  });

  it('stops with a clear error when the loss is not finite', () => {
    const t = createTrainer({ arch: toyArch(), train: toyTrainConfig({ epochs: 50 }), data, seed: 0 });
    t.step();
    const w = t.model.params.get('model.inner.lm_head.weight')!;
    w.assign(tf.fill(w.shape, NaN));
    expect(() => t.step()).toThrow(/training diverged at step 2 .*loss is NaN/);
    expect(t.stepCount).toBe(1);
    t.dispose();
  });
  it('evaluate(): evaluateModel on weightsForEval(), leaving the training run bit for bit as it was', () => {
    const train = toyTrainConfig({ epochs: 4 });
    const test = toyCopySplit({ groups: 3, perGroup: 2, seqLen: 6, vocab: 6, numIds: 3, seed: 7 });
    const plain = createTrainer({ arch: toyArch(), train, data, seed: 5 });
    const plainMetrics: TrainStepMetrics[] = [];
    while (!plain.done) plainMetrics.push(plain.step());
    const plainState = plain.state();
    plain.dispose();

    const t = createTrainer({ arch: toyArch(), train, data, seed: 5 });
    const metrics: TrainStepMetrics[] = [];
    while (!t.done) {
      metrics.push(t.step());
      const res = t.evaluate(test, { batchSize: 4, trajectoryExamples: 1 });
      const ref = createModel(toyArch(), 5);
      ref.loadStateDict(t.weightsForEval());
      const want = evaluateModel(ref, test, { batchSize: 4, trajectoryExamples: 1 });
      ref.dispose();
      expect(res.metrics).toEqual(want.metrics);
      expect(res.preds).toEqual(want.preds);
    }
    const state = t.state();
    const live = tf.memory().numTensors;
    t.dispose();
    expect(tf.memory().numTensors).toBeLessThan(live);
    expect(metrics).toEqual(plainMetrics);
    expect(state.meta).toEqual(plainState.meta);
    for (const [name, x] of Object.entries(plainState.tensors)) expect(state.tensors[name].data, name).toEqual(x.data);
  });
});
