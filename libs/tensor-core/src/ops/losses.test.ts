import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@trm/tensor-node';
import { bceWithLogitsHost, hostLoss, stablemaxCrossEntropyHost } from './losses.ts';
import { truncatedNormalHost } from './init.ts';
import { expectClose } from './test-util.ts';

beforeAll(async () => {
  await initBackend();
});

describe('stablemax cross-entropy', () => {
  const logits = new Float64Array([0.5, -1.5, 2, -0.25, 0, 3, 1, 1, 1]);
  const labels = new Int32Array([2, -100, 0]);

  it('is -log(s(x_y) / sum s(x)) with s(x) = x+1 or 1/(1-x), 0 where ignored', () => {
    const { loss } = stablemaxCrossEntropyHost(logits, labels, 3);
    const s = (x: number) => (x < 0 ? 1 / (1 - x) : x + 1);
    expect(loss[0]).toBeCloseTo(-Math.log(s(2) / (s(0.5) + s(-1.5) + s(2))), 12);
    expect(loss[1]).toBe(0);
    expect(loss[2]).toBeCloseTo(Math.log(3), 12);
  });

  it('has the gradient of the weighted sum (finite differences)', () => {
    const weights = new Float64Array([0.5, 1, 2]);
    const { grad } = stablemaxCrossEntropyHost(logits, labels, 3, weights);
    const total = (l: Float64Array) => {
      const r = stablemaxCrossEntropyHost(l, labels, 3).loss;
      return r.reduce((a, v, i) => a + weights[i] * v, 0);
    };
    const h = 1e-6;
    const fd = Array.from(logits, (_, j) => {
      const up = logits.slice();
      const dn = logits.slice();
      up[j] += h;
      dn[j] -= h;
      return (total(up) - total(dn)) / (2 * h);
    });
    expectClose(grad!, fd, 1e-6);
  });

  it('rejects labels outside the vocabulary', () => {
    expect(() => stablemaxCrossEntropyHost(new Float64Array(3), new Int32Array([3]), 3)).toThrow(/label 3/);
  });
});

describe('bce with logits', () => {
  it('matches -t log sigmoid(x) - (1-t) log(1 - sigmoid(x)) and its gradient', () => {
    const x = new Float64Array([-3, 0.2, 4]);
    const t = new Float64Array([1, 0, 1]);
    const { loss, grad } = bceWithLogitsHost(x, t);
    const sig = (v: number) => 1 / (1 + Math.exp(-v));
    expectClose(loss, Array.from(x, (v, i) => -t[i] * Math.log(sig(v)) - (1 - t[i]) * Math.log(1 - sig(v))), 1e-12);
    expectClose(grad, Array.from(x, (v, i) => sig(v) - t[i]), 1e-12);
  });
});

describe('hostLoss', () => {
  it('injects host gradients, scaled by the upstream gradient', () => {
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.tensor2d([[4, 5]]);
    // loss = x[0] * y[1], computed on the host from the values
    const f = (x: tf.Tensor, y: tf.Tensor) => {
      const [xd, yd] = [x.dataSync(), y.dataSync()];
      return tf.mul(hostLoss([x, y], xd[0] * yd[1], [new Float64Array([yd[1], 0, 0]), new Float64Array([0, xd[0]])]), 3);
    };
    const { value, grads } = tf.valueAndGrads(f)([a, b]);
    expect(value.dataSync()[0]).toBeCloseTo(15);
    expectClose(grads[0].dataSync(), [15, 0, 0]);
    expectClose(grads[1].dataSync(), [0, 3]);
    expect(() => hostLoss([a], 1, [new Float64Array(2)])).toThrow(/gradient 0 has 2 values, input has 3/);
  });
});

describe('truncated normal init', () => {
  it('has the requested std, stays within 2 std of the normal and is seeded', () => {
    let s = 1;
    const rng = { next: () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 0x100000000) };
    const x = truncatedNormalHost(200_000, 0.5, rng);
    const mean = x.reduce((a, v) => a + v, 0) / x.length;
    const std = Math.sqrt(x.reduce((a, v) => a + (v - mean) ** 2, 0) / x.length);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Math.abs(std - 0.5)).toBeLessThan(0.005);
    const bound = x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    // truncation at 2 standard normal deviations, rescaled by std / 0.8796 (std of the truncated normal)
    expect(bound).toBeLessThanOrEqual((2 * 0.5) / 0.8796 + 1e-6);
    expect(bound).toBeGreaterThan(1.1);
    s = 1;
    expect(truncatedNormalHost(5, 0.5, rng)).toEqual(x.subarray(0, 5));
    expect(truncatedNormalHost(4, 0, rng)).toEqual(new Float32Array(4));
  });
});
