import * as tf from '@tensorflow/tfjs-core';
import { encodeSafetensors } from '@trm/tensor-core';
import { initBackend } from '@trm/tensor-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateModel } from '../eval/evaluate.ts';
import { createRng } from '@trm/augment';
import { createModel, disposeCarry } from '../model/model.ts';
import type { ArchConfig } from '../model/types.ts';
import { toyArch, toyCopySplit } from '../train/toy.ts';
import { loadModel, ModelFileError } from './load.ts';
import { solve } from './solve.ts';

beforeAll(async () => {
  await initBackend('cpu');
});

const arch = toyArch({ halt_max_steps: 4 });
const data = toyCopySplit({ groups: 3, perGroup: 1, seqLen: 6, vocab: 6, numIds: 3, seed: 2 });
const rows = [0, 1, 2].map((k) => ({ inputs: data.inputs.slice(k * 6, (k + 1) * 6), puzzleIdentifier: data.puzzleIdentifiers[k] }));

/** A model file as the train stage writes it, from a random model whose q_head bias is `qBias` (0: as drawn). */
function modelFile(a: ArchConfig, qBias?: [number, number], metadata: Record<string, string> = { format: 'pt', config: JSON.stringify(a) }): Uint8Array {
  const model = createModel(a, 5);
  const dict = model.stateDict();
  if (qBias) dict['model.inner.q_head.bias'] = { dtype: 'float32', shape: [2], data: Float32Array.from(qBias) };
  model.dispose();
  return encodeSafetensors(dict, metadata);
}

describe('loadModel', () => {
  it('builds the model of the file: its arch from the metadata, its weights', () => {
    const bytes = modelFile(arch);
    const { model, arch: got } = loadModel(bytes, 'model.safetensors', { seqLen: 6, vocabSize: 6, numPuzzleIdentifiers: 3 });
    expect(got).toEqual(arch);
    const ref = createModel(arch, 5);
    const a = model.stateDict();
    const b = ref.stateDict();
    for (const name of Object.keys(b)) expect(a[name].data).toEqual(b[name].data);
    model.dispose();
    ref.dispose();
  });
  it.each([
    ['no arch metadata', () => modelFile(arch, undefined, { format: 'pt' }), /m\.st: no "config" metadata \(the model's arch\); expected a model\.safetensors written by the train stage/],
    ['arch metadata that is not JSON', () => modelFile(arch, undefined, { config: '{' }), /m\.st: the "config" metadata is not JSON/],
    ['an arch key missing', () => modelFile(arch, undefined, { config: JSON.stringify({ ...arch, hidden_size: undefined }) }), /m\.st: the arch metadata lacks hidden_size$/],
    ['an arch value of the wrong kind', () => modelFile(arch, undefined, { config: JSON.stringify({ ...arch, mlp_t: 'yes', L_layers: 0 }) }), /m\.st: the arch metadata has arch\.L_layers = 0: expected >= 1; arch\.mlp_t = "yes": expected a boolean$/],
    ['weights of another arch', () => modelFile(arch, undefined, { config: JSON.stringify({ ...arch, hidden_size: 32, puzzle_emb_ndim: 32 }) }), /m\.st: createModel: "model\.inner\.\S+" has shape \[\d+(,\d+)*\], expected/],
    ['bytes that are no safetensors', () => new Uint8Array(4), /m\.st: not a valid safetensors file/],
  ])('refuses a file with %s, naming it', (_, bytes, message) => {
    expect(() => loadModel(bytes(), 'm.st')).toThrow(ModelFileError);
    expect(() => loadModel(bytes(), 'm.st')).toThrow(message);
  });
  it('refuses a model trained on data of another shape', () => {
    expect(() => loadModel(modelFile(arch), 'm.st', { seqLen: 81, vocabSize: 11, numPuzzleIdentifiers: 3, what: 'the sudoku-x dataset' })).toThrow(
      'm.st: the model was trained on data with seq_len 6, vocab_size 6, but the sudoku-x dataset has seq_len 81, vocab_size 11',
    );
    expect(() => loadModel(modelFile(arch), 'm.st', { seqLen: 6, vocabSize: 6, numPuzzleIdentifiers: 1 })).toThrow(/num_puzzle_identifiers 3, but the dataset has num_puzzle_identifiers 1/);
  });
});

describe('solve', () => {
  it('until max: every step equals what the evaluate stage computes (trajectory and final predictions)', async () => {
    const { model } = loadModel(modelFile(arch), 'm.st');
    const traces = await solve(model, rows, { until: 'max' });
    const ev = evaluateModel(model, data, { batchSize: 3, trajectoryExamples: 3 });
    traces.forEach((t, k) => {
      expect(t.steps).toHaveLength(4);
      t.steps.forEach((s, j) => expect(s.prediction).toEqual(ev.trajectory[k][j]));
      expect(t.steps[3].qHaltLogit).toBe(ev.qHalt[k]);
      expect(t.steps[3].qHalt).toBeCloseTo(1 / (1 + Math.exp(-ev.qHalt[k])), 12);
    });
    // rows do not depend on the batch they run in
    const one = (await solve(model, [rows[1]], { until: 'max' }))[0];
    expect(one.steps.map((s) => s.prediction)).toEqual(traces[1].steps.map((s) => s.prediction));
    const chunked = await solve(model, rows, { until: 'max', batchSize: 2 });
    expect(chunked.map((t) => t.steps.map((s) => s.prediction))).toEqual(traces.map((t) => t.steps.map((s) => s.prediction)));
    model.dispose();
  });
  it('forwardAsync (the asynchronous reads solve uses) gives forward\'s step bit for bit', async () => {
    const { model } = loadModel(modelFile(arch), 'm.st');
    const batch = { inputs: Int32Array.from(data.inputs), labels: new Int32Array(data.inputs.length).fill(-100), puzzleIdentifiers: Int32Array.from(data.puzzleIdentifiers) };
    const rng = createRng(0);
    const tensorsBefore = tf.memory().numTensors;
    let a = model.initialCarry(3);
    let b = model.initialCarry(3);
    for (let step = 0; step < 3; step++) {
      const x = model.forward(a, batch, { training: false, rng });
      const y = await model.forwardAsync!(b, batch, { training: false, rng });
      expect(y.preds).toEqual(x.preds);
      expect(y.qHalt).toEqual(x.qHalt);
      expect(y.carry.zH.dataSync()).toEqual(x.carry.zH.dataSync());
      disposeCarry(a);
      disposeCarry(b);
      [a, b] = [x.carry, y.carry];
    }
    disposeCarry(a);
    disposeCarry(b);
    expect(tf.memory().numTensors).toBe(tensorsBefore); // nothing leaks
    model.dispose();
  });
  it('halts at the first step with q_halt > 0, or runs to halt_max_steps', async () => {
    const sure = loadModel(modelFile(arch, [8, 0]), 'm.st').model; // q_halt = 8 at once
    for (const t of await solve(sure, rows)) {
      expect(t).toMatchObject({ haltedAt: 1, confident: true });
      expect(t.steps).toHaveLength(1);
      expect(t.steps[0].qHalt).toBeGreaterThan(0.99);
    }
    const all = (await solve(sure, rows, { until: 'max' }))[0];
    expect(all.steps).toHaveLength(4);
    expect(all.haltedAt).toBe(1);
    const never = loadModel(modelFile(arch, [-8, 0]), 'm.st').model;
    for (const t of await solve(never, rows)) {
      expect(t).toMatchObject({ haltedAt: 4, confident: false });
      expect(t.steps).toHaveLength(4);
    }
    sure.dispose();
    never.dispose();
  });
  it('refuses rows of another length', async () => {
    const { model } = loadModel(modelFile(arch), 'm.st');
    await expect(solve(model, [{ inputs: new Uint8Array(5), puzzleIdentifier: 0 }])).rejects.toThrow('solve: row 0 has 5 tokens, the model takes seq_len 6');
    model.dispose();
  });
});
