// Evaluation as the reference runs it (spec section 7): every test batch from a fresh carry for exactly
// halt_max_steps supervision steps (eval mode never halts early), the last step's outputs are the answer.
// Accuracy is also measured after every supervision step, and the first examples' predictions are kept per step.
import { createRng } from '@trm/augment';
import { IGNORE_LABEL } from '@trm/tensor-core';
import { testBatches } from '../data/batches.ts';
import { indexSplit, type EncodedSplit } from '../data/split.ts';
import { disposeCarry } from '../model/model.ts';
import type { Batch, Carry, TrmModel } from '../model/types.ts';

export interface EvalOptions {
  batchSize: number;
  /** keep the predictions after every step for the first this many examples */
  trajectoryExamples: number;
  onProgress?: (done: number, total: number) => void;
}

export interface EvalMetrics {
  /** examples with at least one label (the rest are not scored) */
  count: number;
  /** share of scored examples whose every labelled token is right */
  exact_accuracy: number;
  /** per-example share of right labelled tokens, averaged over scored examples (the reference's `accuracy`) */
  token_accuracy: number;
  /** share of scored examples where (q_halt >= 0) agrees with exact correctness */
  q_halt_accuracy: number;
  /** supervision steps taken per example (halt_max_steps in eval mode) */
  mean_steps: number;
  /** token_accuracy after supervision step 1, 2, ..., halt_max_steps */
  accuracy_per_step: number[];
  exact_accuracy_per_step: number[];
}

export interface EvalResult {
  numExamples: number;
  seqLen: number;
  /** [N*S] predicted tokens after the last step */
  preds: Uint8Array;
  /** [N] q_halt logit after the last step */
  qHalt: Float32Array;
  /** [N] supervision steps taken */
  steps: Int32Array;
  /** [N] 1 = every labelled token right (0 for examples without labels) */
  correct: Uint8Array;
  metrics: EvalMetrics;
  /** trajectory[k][step-1] = [S] predictions of example k after `step` steps */
  trajectory: Uint8Array[][];
}

/** Per-row score of predictions against labels (IGNORE_LABEL = none). */
function scoreRows(preds: Int32Array, labels: Int32Array, rows: number, S: number): { labelled: Uint8Array; tokenAcc: Float64Array; exact: Uint8Array } {
  const labelled = new Uint8Array(rows);
  const tokenAcc = new Float64Array(rows);
  const exact = new Uint8Array(rows);
  for (let b = 0; b < rows; b++) {
    let count = 0;
    let right = 0;
    for (let s = b * S; s < (b + 1) * S; s++) {
      if (labels[s] === IGNORE_LABEL) continue;
      count++;
      if (preds[s] === labels[s]) right++;
    }
    labelled[b] = count > 0 ? 1 : 0;
    tokenAcc[b] = count > 0 ? right / count : 0;
    exact[b] = count > 0 && right === count ? 1 : 0;
  }
  return { labelled, tokenAcc, exact };
}

/** What one test batch gives for its `count` real rows (example rows start .. start+count-1). */
export interface EvalBatchResult {
  /** batch number (0-based) and first example row */
  batch: number;
  start: number;
  count: number;
  /** [count*S] predictions after the last step */
  preds: Uint8Array;
  /** [count] q_halt logit after the last step */
  qHalt: Float32Array;
  /** [count] supervision steps taken */
  steps: Int32Array;
  /** [count] 1 = the row has at least one label */
  labelled: Uint8Array;
  /** [T*count], step-major: token accuracy and exactness of each row after each supervision step */
  tokenAccPerStep: Float64Array;
  exactPerStep: Uint8Array;
  /** trajectory[b][step-1] = [S] predictions after `step` steps, for rows of the batch whose index < trajectoryExamples */
  trajectory: Uint8Array[][];
}

/**
 * The test batches one by one, from batch `fromBatch` (0 = the first; a resumed evaluation passes the number of
 * batches it has): every batch from a fresh carry, `halt_max_steps` supervision steps. `combineEvalBatches` of all
 * of them, in order, is `evaluateModel`'s result.
 */
export function* evaluateBatches(model: TrmModel, data: EncodedSplit, opts: EvalOptions & { fromBatch?: number }): Generator<EvalBatchResult> {
  indexSplit(data, 'test split');
  const arch = model.arch;
  for (const [key, value] of [['seq_len', data.seqLen], ['vocab_size', data.vocabSize]] as const) {
    if (arch[key] !== value) throw new Error(`evaluateModel: arch.${key} is ${arch[key]} but the test split has ${value}`);
  }
  if (!(Number.isInteger(opts.batchSize) && opts.batchSize > 0)) throw new Error(`evaluateModel: batchSize must be a positive integer, got ${opts.batchSize}`);
  const S = data.seqLen;
  const N = data.puzzleIdentifiers.length;
  const T = arch.halt_max_steps;
  const rng = createRng(0); // eval mode draws no exploration; the model still takes an Rng
  const K = Math.min(opts.trajectoryExamples, N);
  const from = opts.fromBatch ?? 0;
  let batchNo = 0;
  for (const { batch, start, count } of testBatches(data, opts.batchSize)) {
    if (batchNo++ < from) continue;
    let carry: Carry = model.initialCarry(opts.batchSize);
    let last: { preds: Int32Array; qHalt: Float32Array; data: Batch } | null = null;
    const tokenAccPerStep = new Float64Array(T * count);
    const exactPerStep = new Uint8Array(T * count);
    const trajectory: Uint8Array[][] = Array.from({ length: Math.max(0, Math.min(count, K - start)) }, () => []);
    for (let t = 0; t < T; t++) {
      const out = model.forward(carry, batch, { training: false, rng });
      disposeCarry(carry);
      carry = out.carry;
      const score = scoreRows(out.preds, carry.data.labels, count, S);
      tokenAccPerStep.set(score.tokenAcc.subarray(0, count), t * count);
      exactPerStep.set(score.exact.subarray(0, count), t * count);
      for (let b = 0; b < trajectory.length; b++) trajectory[b].push(Uint8Array.from(out.preds.subarray(b * S, (b + 1) * S)));
      last = { preds: out.preds, qHalt: out.qHalt, data: carry.data };
    }
    const steps = carry.steps.slice(0, count);
    disposeCarry(carry);
    const score = scoreRows(last!.preds, last!.data.labels, count, S);
    yield {
      batch: batchNo - 1, start, count,
      preds: Uint8Array.from(last!.preds.subarray(0, count * S)),
      qHalt: last!.qHalt.slice(0, count),
      steps: Int32Array.from(steps),
      labelled: score.labelled,
      tokenAccPerStep,
      exactPerStep,
      trajectory,
    };
    opts.onProgress?.(start + count, N);
  }
}

/** The evaluation of `data` from all its batch results, in batch order (the sums run in that order). */
export function combineEvalBatches(data: EncodedSplit, halt_max_steps: number, trajectoryExamples: number, batches: Iterable<EvalBatchResult>): EvalResult {
  const S = data.seqLen;
  const N = data.puzzleIdentifiers.length;
  const T = halt_max_steps;
  const preds = new Uint8Array(N * S);
  const qHalt = new Float32Array(N);
  const steps = new Int32Array(N);
  const correct = new Uint8Array(N);
  const tokenAcc = new Float64Array(N);
  const labelled = new Uint8Array(N);
  const accSum = new Float64Array(T);
  const exactSum = new Float64Array(T);
  const K = Math.min(trajectoryExamples, N);
  const trajectory: Uint8Array[][] = Array.from({ length: K }, () => []);
  let next = 0;
  for (const r of batches) {
    if (r.start !== next) throw new Error(`combineEvalBatches: batch ${r.batch} starts at example ${r.start}, expected ${next}`);
    next = r.start + r.count;
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < r.count; b++) {
        accSum[t] += r.tokenAccPerStep[t * r.count + b];
        exactSum[t] += r.exactPerStep[t * r.count + b];
      }
    }
    for (let b = 0; b < r.trajectory.length; b++) trajectory[r.start + b] = r.trajectory[b];
    preds.set(r.preds, r.start * S);
    qHalt.set(r.qHalt, r.start);
    steps.set(r.steps, r.start);
    labelled.set(r.labelled, r.start);
    correct.set(r.exactPerStep.subarray((T - 1) * r.count, T * r.count), r.start);
    tokenAcc.set(r.tokenAccPerStep.subarray((T - 1) * r.count, T * r.count), r.start);
  }
  if (next !== N) throw new Error(`combineEvalBatches: the batches cover ${next} of ${N} examples`);

  let scored = 0;
  let exact = 0;
  let token = 0;
  let qAgree = 0;
  let stepSum = 0;
  for (let k = 0; k < N; k++) {
    stepSum += steps[k];
    if (!labelled[k]) continue;
    scored++;
    exact += correct[k];
    token += tokenAcc[k];
    if ((qHalt[k] >= 0) === (correct[k] === 1)) qAgree++;
  }
  const per = (x: number) => (scored > 0 ? x / scored : 0);
  return {
    numExamples: N,
    seqLen: S,
    preds,
    qHalt,
    steps,
    correct,
    metrics: {
      count: scored,
      exact_accuracy: per(exact),
      token_accuracy: per(token),
      q_halt_accuracy: per(qAgree),
      mean_steps: N > 0 ? stepSum / N : 0,
      accuracy_per_step: Array.from(accSum, per),
      exact_accuracy_per_step: Array.from(exactSum, per),
    },
    trajectory,
  };
}

export function evaluateModel(model: TrmModel, data: EncodedSplit, opts: EvalOptions): EvalResult {
  return combineEvalBatches(data, model.arch.halt_max_steps, opts.trajectoryExamples, evaluateBatches(model, data, opts));
}
