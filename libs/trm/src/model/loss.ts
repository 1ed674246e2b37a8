// The ACT loss head (reference ACTLossHead with stablemax): losses, gradients and metrics, on the host in float64.
import * as tf from '@tensorflow/tfjs-core';
import { bceWithLogitsHost, hostLoss, IGNORE_LABEL, stablemaxCrossEntropyHost } from '@trm/tensor-core';
import type { StepMetrics } from './types.ts';

export interface LossInput {
  /** [B*S*V] */
  logits: Float32Array;
  /** [B] */
  qHalt: Float32Array;
  /** [B*S] carried labels, IGNORE_LABEL = none */
  labels: Int32Array;
  /** [B] steps after this call */
  steps: Int32Array;
  /** [B] halted after this call */
  halted: Uint8Array;
  vocab: number;
}

export interface LossOutput {
  lmLoss: number;
  qHaltLoss: number;
  /** lm_loss + 0.5 * q_halt_loss */
  total: number;
  metrics: StepMetrics;
  /** [B*S] argmax (first maximum) */
  preds: Int32Array;
  /** d total / d logits [B*S*V] */
  gradLogits: Float64Array;
  /** d total / d q_halt [B] */
  gradQHalt: Float64Array;
}

function argmaxRows(logits: Float32Array, vocab: number): Int32Array {
  const n = logits.length / vocab;
  const preds = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < vocab; j++) if (logits[i * vocab + j] > logits[i * vocab + best]) best = j;
    preds[i] = best;
  }
  return preds;
}

export function actLoss(inp: LossInput): LossOutput {
  const B = inp.qHalt.length;
  const S = inp.labels.length / B;
  const preds = argmaxRows(inp.logits, inp.vocab);
  const weights = new Float64Array(B * S);
  const seqCorrect = new Float64Array(B);
  const rowAccuracy = new Float64Array(B);
  const counts = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    let count = 0;
    let correct = 0;
    for (let s = 0; s < S; s++) {
      const y = inp.labels[b * S + s];
      if (y === IGNORE_LABEL) continue;
      count++;
      if (preds[b * S + s] === y) correct++;
    }
    const divisor = Math.max(1, count);
    for (let s = 0; s < S; s++) if (inp.labels[b * S + s] !== IGNORE_LABEL) weights[b * S + s] = 1 / divisor;
    counts[b] = count;
    seqCorrect[b] = correct === count ? 1 : 0; // true for a row with no labels, as the reference
    rowAccuracy[b] = correct / divisor;
  }
  const ce = stablemaxCrossEntropyHost(inp.logits, inp.labels, inp.vocab, weights);
  let lmLoss = 0;
  for (let i = 0; i < ce.loss.length; i++) lmLoss += weights[i] * ce.loss[i];
  const bce = bceWithLogitsHost(inp.qHalt, seqCorrect);
  let qHaltLoss = 0;
  for (let b = 0; b < B; b++) qHaltLoss += bce.loss[b];
  const gradQHalt = new Float64Array(B);
  for (let b = 0; b < B; b++) gradQHalt[b] = 0.5 * bce.grad[b];

  const metrics: StepMetrics = { count: 0, accuracy: 0, exact_accuracy: 0, q_halt_accuracy: 0, steps: 0, lm_loss: lmLoss, q_halt_loss: qHaltLoss };
  for (let b = 0; b < B; b++) {
    if (!inp.halted[b] || counts[b] === 0) continue;
    metrics.count += 1;
    metrics.accuracy += rowAccuracy[b];
    metrics.exact_accuracy += seqCorrect[b];
    metrics.q_halt_accuracy += (inp.qHalt[b] >= 0 ? 1 : 0) === seqCorrect[b] ? 1 : 0;
    metrics.steps += inp.steps[b];
  }
  return { lmLoss, qHaltLoss, total: lmLoss + 0.5 * qHaltLoss, metrics, preds, gradLogits: ce.grad as Float64Array, gradQHalt };
}

/**
 * The loss head as a tfjs op of logits [B, S, V] and q [B, 2] (its q_halt column): scale * (lm_loss + 0.5 *
 * q_halt_loss), its value and gradients computed on the host by actLoss. `qHalt` is q's first column on the host,
 * `halting` the step's halting decision (the metrics count the rows that halted). Also returns actLoss's results
 * and the logits' host copy.
 */
export function lossHead(
  logits: tf.Tensor3D, q: tf.Tensor2D, qHalt: Float32Array, labels: Int32Array, halting: { steps: Int32Array; halted: Uint8Array }, vocab: number, scale: number,
): { loss: tf.Scalar; out: LossOutput; logitValues: Float32Array } {
  const logitValues = (logits.dataSync() as Float32Array).slice();
  const out = actLoss({ logits: logitValues, qHalt, labels, steps: halting.steps, halted: halting.halted, vocab });
  const qHaltColumn = tf.slice(q, [0, 0], [q.shape[0], 1]); // [B, 1]
  const loss = hostLoss([logits, qHaltColumn], scale * out.total, [scaled(out.gradLogits, scale), scaled(out.gradQHalt, scale)]);
  return { loss, out, logitValues };
}

function scaled(g: Float64Array, s: number): Float64Array {
  const out = new Float64Array(g.length);
  for (let i = 0; i < g.length; i++) out[i] = s * g[i];
  return out;
}
