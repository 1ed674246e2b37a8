// Attention with recomputed probabilities against the former design that saved them from the forward pass.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@trm/tensor-node';
import { attentionBackward, attentionForward } from './attention.ts';
import { expectClose, randomArray } from './test-util.ts';

beforeAll(async () => {
  await initBackend();
});

const shape: [number, number, number, number] = [2, 3, 17, 8]; // [B, H, S, hd]
const input = (seed: number, scale = 1) => tf.tensor4d(randomArray(shape.reduce((a, b) => a * b), seed, scale), shape);

/** The backward of the saved-probabilities design: probs from the forward pass, softmax backward by formula. */
function savedProbsBackward(dy: tf.Tensor, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, probs: tf.Tensor): tf.Tensor[] {
  const scale = 1 / Math.sqrt(q.shape[3]!);
  const dv = tf.matMul(probs, dy, true, false);
  const dp = tf.matMul(dy, v, false, true);
  const ds = tf.mul(probs, tf.sub(dp, tf.sum(tf.mul(dp, probs), -1, true)));
  return [tf.mul(tf.matMul(ds, k), scale), tf.mul(tf.matMul(ds, q, true, false), scale), dv];
}

describe('attention with recomputed probabilities', () => {
  it('forward and gradients equal the saved-probabilities computation', () => {
    const [q, k, v] = [51, 52, 53].map((s) => input(s, 2));
    const dy = input(54);
    const probs = tf.softmax(tf.matMul(tf.mul(q, 1 / Math.sqrt(shape[3])), k, false, true), -1); // [B, H, S, S] as saved before
    expectClose(attentionForward(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D).dataSync(), tf.matMul(probs, v).dataSync(), 1e-6);
    const ours = attentionBackward(dy, q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D);
    const saved = savedProbsBackward(dy, q, k, v, probs);
    ours.forEach((g, i) => {
      expect(g.shape).toEqual(shape);
      expectClose(g.dataSync(), saved[i].dataSync(), 1e-6);
      expect(tf.any(tf.notEqual(g, 0)).dataSync()[0], `gradient ${i} is all zeros`).toBe(1);
    });
  });

  it('forward and backward leave no tensor behind but their results', () => {
    const [q, k, v, dy] = [61, 62, 63, 64].map((s) => input(s));
    const before = tf.memory().numTensors;
    const out = attentionForward(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D);
    expect(tf.memory().numTensors).toBe(before + 1);
    const grads = attentionBackward(dy, q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D);
    expect(tf.memory().numTensors).toBe(before + 4);
    tf.dispose([out, ...grads]);
  });
});
