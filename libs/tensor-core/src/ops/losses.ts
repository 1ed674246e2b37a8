// Losses evaluated on the host in float64 and injected into the graph with a custom gradient.
// tfjs cannot differentiate through where(less(x, 0), ...), and the reference computes stablemax in float64.
import * as tf from '@tensorflow/tfjs-core';

/** The label of a position without one (the reference's IGNORE_LABEL_ID, torch's ignore_index): no loss, no metric. */
export const IGNORE_LABEL = -100;

/** stablemax s(x) = 1/(1-x+1e-30) for x < 0, x+1 otherwise. */
function s(x: number): number {
  return x < 0 ? 1 / (1 - x + 1e-30) : x + 1;
}

/** ds/dx */
function ds(x: number): number {
  if (x >= 0) return 1;
  const d = 1 - x + 1e-30;
  return 1 / (d * d);
}

/**
 * Stablemax cross-entropy per position, in float64. logits [N*V] row-major, labels [N] (IGNORE_LABEL = skip).
 * Returns loss [N] (0 where ignored) and, when `weights` [N] is given, grad [N*V] of sum_i weights[i]*loss[i].
 */
export function stablemaxCrossEntropyHost(
  logits: Float32Array | Float64Array,
  labels: Int32Array,
  vocab: number,
  weights?: Float64Array,
): { loss: Float64Array; grad: Float64Array | null } {
  const n = labels.length;
  if (logits.length !== n * vocab) throw new Error(`stablemaxCrossEntropy: logits length ${logits.length} != ${n}*${vocab}`);
  const loss = new Float64Array(n);
  const grad = weights ? new Float64Array(n * vocab) : null;
  for (let i = 0; i < n; i++) {
    const y = labels[i];
    if (y === IGNORE_LABEL) continue;
    if (y < 0 || y >= vocab) throw new Error(`stablemaxCrossEntropy: label ${y} at position ${i} outside [0, ${vocab})`);
    const o = i * vocab;
    let sum = 0;
    for (let j = 0; j < vocab; j++) sum += s(logits[o + j]);
    const sy = s(logits[o + y]);
    loss[i] = -Math.log(sy / sum);
    if (grad && weights) {
      const w = weights[i];
      for (let j = 0; j < vocab; j++) grad[o + j] = (w * ds(logits[o + j])) / sum;
      grad[o + y] -= (w * ds(logits[o + y])) / sy;
    }
  }
  return { loss, grad };
}

/** Binary cross-entropy with logits, float64: max(x,0) - x*t + log(1+exp(-|x|)); grad = sigmoid(x) - t. */
export function bceWithLogitsHost(x: Float32Array | Float64Array, target: Float64Array): { loss: Float64Array; grad: Float64Array } {
  const loss = new Float64Array(x.length);
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    loss[i] = Math.max(v, 0) - v * target[i] + Math.log1p(Math.exp(-Math.abs(v)));
    grad[i] = 1 / (1 + Math.exp(-v)) - target[i];
  }
  return { loss, grad };
}

/**
 * A scalar loss computed on the host, as a tfjs op of `inputs`: its value is `value`, and its gradient w.r.t.
 * input i is `grads[i]` (as many values as the input, row-major) times the incoming gradient.
 */
export function hostLoss(inputs: tf.Tensor[], value: number, grads: (Float32Array | Float64Array)[]): tf.Scalar {
  inputs.forEach((x, i) => {
    if (grads[i].length !== x.size) throw new Error(`hostLoss: gradient ${i} has ${grads[i].length} values, input has ${x.size}`);
  });
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xs = args.slice(0, inputs.length) as tf.Tensor[];
    return {
      value: tf.scalar(value),
      gradFunc: (dy: tf.Tensor) => {
        const scale = (dy.dataSync() as Float32Array)[0];
        return xs.map((x, i) => {
          const g = new Float32Array(x.size);
          const src = grads[i];
          for (let j = 0; j < g.length; j++) g[j] = scale * src[j];
          return tf.tensor(g, x.shape);
        });
      },
    };
  });
  return op(...inputs) as tf.Scalar;
}
