// Gradient micro-batching in one process: a TrmModel whose forward/forwardBackward run the batch's rows in chunks
// of at most `microBatch` rows, one after the other, so the activations kept for the backward pass are those of one
// chunk, not of the whole batch. The same row split as the data-parallel model (contiguous ranges, rowRanges), but
// sequential: each chunk keeps its rows' slice of the ACT carry, the gradients are summed in chunk order, the
// puzzle-embedding gradient rows, preds, q values and logits are concatenated, losses and metric sums are added.
// The ACT exploration draws need no splitting here: haltDecision consumes ACT_DRAWS_PER_ROW draws per row in row
// order, and the chunks run in row order on the caller's RNG, so every row gets the draws it gets unsplit.
// Results equal the unsplit model's up to the order of floating-point sums.
import * as tf from '@tensorflow/tfjs-core';
import { disposeCarry } from '../model/model.ts';
import type { Batch, Carry, StepOutput, TrainOutput, TrmModel } from '../model/types.ts';
import { concat, rowRanges, sumMetrics } from './join.ts';


function batchRows(batch: Batch, [a, b]: [number, number], S: number): Batch {
  return { inputs: batch.inputs.slice(a * S, b * S), labels: batch.labels.slice(a * S, b * S), puzzleIdentifiers: batch.puzzleIdentifiers.slice(a, b) };
}

/** Rows [a, b) of a carry, as a carry that owns new tensors. */
function carryRows(carry: Carry, range: [number, number], S: number): Carry {
  const [a, b] = range;
  return {
    zH: tf.slice(carry.zH, [a, 0, 0], [b - a, -1, -1]), // [b-a, S+P0, D]
    zL: tf.slice(carry.zL, [a, 0, 0], [b - a, -1, -1]),
    steps: carry.steps.slice(a, b),
    halted: carry.halted.slice(a, b),
    data: batchRows(carry.data, range, S),
  };
}

/** One StepOutput (and carry) from the chunks' outputs, in row order; disposes the chunks' carries. */
function joinOutputs(parts: StepOutput[]): StepOutput {
  const zH = tf.concat(parts.map((p) => p.carry.zH), 0); // [B, S+P0, D]
  const zL = tf.concat(parts.map((p) => p.carry.zL), 0);
  parts.forEach((p) => disposeCarry(p.carry));
  const halted = concat(parts.map((p) => p.carry.halted), (n) => new Uint8Array(n));
  return {
    carry: {
      zH,
      zL,
      steps: concat(parts.map((p) => p.carry.steps), (n) => new Int32Array(n)),
      halted,
      data: {
        inputs: concat(parts.map((p) => p.carry.data.inputs), (n) => new Int32Array(n)),
        labels: concat(parts.map((p) => p.carry.data.labels), (n) => new Int32Array(n)),
        puzzleIdentifiers: concat(parts.map((p) => p.carry.data.puzzleIdentifiers), (n) => new Int32Array(n)),
      },
    },
    lossTotal: parts.reduce((acc, p) => acc + p.lossTotal, 0),
    metrics: sumMetrics(parts.map((p) => p.metrics)),
    preds: concat(parts.map((p) => p.preds), (n) => new Int32Array(n)),
    qHalt: concat(parts.map((p) => p.qHalt), (n) => new Float32Array(n)),
    qContinue: concat(parts.map((p) => p.qContinue), (n) => new Float32Array(n)),
    allHalted: halted.every((h) => h === 1),
    ...(parts.every((p) => p.logits) ? { logits: concat(parts.map((p) => p.logits!), (n) => new Float32Array(n)) } : {}),
  };
}

/**
 * `model` with forward/forwardBackward run in row chunks of at most `microBatch` rows (contiguous, sizes differing
 * by at most one). Shares `model`'s params, puzzle embedding and state; dispose() disposes `model`.
 */
export function createMicroBatchedModel(model: TrmModel, microBatch: number): TrmModel {
  if (!Number.isInteger(microBatch) || microBatch < 1) throw new Error(`micro-batch size: expected a positive integer, got ${microBatch}`);
  const S = model.arch.seq_len;

  /** the chunks of a carry's rows, or null when one chunk holds them all (then the model runs unsplit) */
  const chunks = (carry: Carry, batch: Batch): [number, number][] | null => {
    const B = carry.halted.length;
    if (batch.inputs.length !== B * S || batch.labels.length !== B * S || batch.puzzleIdentifiers.length !== B) {
      throw new Error(`batch: expected ${B} rows of ${S} tokens (the carry's batch size), got ${batch.inputs.length} tokens, ${batch.labels.length} labels, ${batch.puzzleIdentifiers.length} ids`);
    }
    return B > microBatch ? rowRanges(B, Math.ceil(B / microBatch)) : null;
  };

  const forward: TrmModel['forward'] = (carry, batch, opts) => {
    const ranges = chunks(carry, batch);
    if (!ranges) return model.forward(carry, batch, opts);
    const parts = ranges.map((range) => {
      const part = carryRows(carry, range, S);
      const out = model.forward(part, batchRows(batch, range, S), opts);
      disposeCarry(part);
      return out;
    });
    return joinOutputs(parts);
  };

  const forwardBackward: TrmModel['forwardBackward'] = (carry, batch, opts): TrainOutput => {
    const ranges = chunks(carry, batch);
    if (!ranges) return model.forwardBackward(carry, batch, opts);
    const grads = new Map<string, tf.Tensor>();
    const puzzle: { ids: Int32Array; grad: tf.Tensor2D }[] = [];
    const parts = ranges.map((range) => {
      const part = carryRows(carry, range, S);
      const out = model.forwardBackward(part, batchRows(batch, range, S), opts);
      disposeCarry(part);
      for (const [name, g] of out.grads) {
        const acc = grads.get(name);
        grads.set(name, acc ? tf.add(acc, g) : g);
        if (acc) tf.dispose([acc, g]);
      }
      if (out.puzzleEmbGrad) puzzle.push(out.puzzleEmbGrad);
      return out as StepOutput;
    });
    let puzzleEmbGrad: TrainOutput['puzzleEmbGrad'] = null;
    if (puzzle.length > 0) {
      puzzleEmbGrad = { ids: concat(puzzle.map((p) => p.ids), (n) => new Int32Array(n)), grad: tf.concat(puzzle.map((p) => p.grad), 0) }; // [B, ndim]
      tf.dispose(puzzle.map((p) => p.grad));
    }
    return { ...joinOutputs(parts), grads, puzzleEmbGrad };
  };

  return {
    arch: model.arch,
    params: model.params,
    puzzleEmb: model.puzzleEmb,
    initialCarry: (batchSize) => model.initialCarry(batchSize),
    forward,
    forwardBackward,
    stateDict: () => model.stateDict(),
    loadStateDict: (dict) => model.loadStateDict(dict),
    parameterCount: () => model.parameterCount(),
    dispose: () => model.dispose(),
  };
}
