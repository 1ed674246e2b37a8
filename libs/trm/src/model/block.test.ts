// The fused block (hand-written backward) against the plain block (the composition of ops that tfjs differentiates):
// the same output and gradients, through the BlockImpl interface both implement.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ropeTables } from '@trm/tensor-core';
import { initBackend } from '@trm/tensor-node';
import { plainBlocks, type BlockContext, type BlockImpl, type GradSink, type Weights } from './block.ts';
import { fusedBlocks } from './fused-block.ts';
import { attentionMixerForward } from './fused-block-parts.ts';
import type { AttentionWeights } from './fused-block-parts.ts';
import { dims, initialValues, isBlockParam, paramSpecs } from './params.ts';
import type { ArchConfig } from './types.ts';

const arch: ArchConfig = {
  seq_len: 5, vocab_size: 4, num_puzzle_identifiers: 1, hidden_size: 8, num_heads: 2, expansion: 2,
  L_layers: 1, H_cycles: 1, L_cycles: 1, mlp_t: false, pos_encodings: 'rope', puzzle_emb_ndim: 8,
  puzzle_emb_len: 1, halt_max_steps: 2, halt_exploration_prob: 0, rope_theta: 10000, rms_norm_eps: 1e-5, no_ACT_continue: true,
};

/**
 * sum(probe * block(block(h))) and its gradients w.r.t. h and every block weight, with `impl`: the weights'
 * gradients from the tape, or for an implementation with its own backward from its sink.
 */
function run(impl: BlockImpl, a: ArchConfig, names: string[], params: tf.Tensor[], h: tf.Tensor3D, probe: tf.Tensor): { value: number; grads: Map<string, Float32Array> } {
  const rope = a.pos_encodings === 'rope' && !a.mlp_t ? ropeTables(dims(a).headDim, dims(a).totalLen, a.rope_theta) : null;
  const sink: GradSink | null = impl.ownBackward ? new Map() : null;
  const leaves = impl.ownBackward ? [h] : [h, ...params];
  // an implementation with its own backward reads its weights after the forward pass: made outside the tape (as
  // actStep does); the plain block's weights are the tape's leaves
  const given: Weights = Object.fromEntries(names.map((n, i) => [n, params[i]]));
  const outside = impl.ownBackward ? impl.weights(given, a) : null;
  const { value, grads } = tf.valueAndGrads((x: tf.Tensor, ...ws: tf.Tensor[]) => {
    const w = outside ?? impl.weights(Object.fromEntries(names.map((n, i) => [n, ws[i]])), a);
    const ctx: BlockContext = { arch: a, rope, grads: sink };
    return tf.sum(tf.mul(impl.block(w, 0, ctx, impl.block(w, 0, ctx, x as tf.Tensor3D)), probe)) as tf.Scalar;
  })(leaves);
  if (outside) impl.release(outside, given);
  const out = new Map<string, Float32Array>([['h', grads[0].dataSync() as Float32Array]]);
  const weightGrads = sink ? impl.paramGrads(sink, a) : new Map(names.map((n, i) => [n, grads[i + 1]]));
  for (const [n, g] of weightGrads) out.set(n, g.dataSync() as Float32Array);
  const v = value.dataSync()[0];
  tf.dispose([value, ...grads, ...weightGrads.values()]);
  if (rope) tf.dispose([rope.cos, rope.sin]);
  return { value: v, grads: out };
}

beforeAll(async () => {
  await initBackend();
});

describe('fused block against the plain block', () => {
  const cases: [string, Partial<ArchConfig>][] = [
    ['attention + rope', {}],
    ['attention without positions', { pos_encodings: 'none' }],
    ['token MLP (mlp_t)', { mlp_t: true, pos_encodings: 'none' }],
  ];
  for (const [name, over] of cases) {
    it(`${name}: two chained calls give the output and gradients (h, every weight) of the plain block`, () => {
      const a = { ...arch, ...over };
      const d = dims(a);
      const init = initialValues(a, 3);
      const names = paramSpecs(a).map((s) => s.name).filter(isBlockParam);
      const params = names.map((n) => init.get(n)!);
      const h = tf.randomNormal([3, d.totalLen, a.hidden_size], 0, 1, 'float32', 5) as tf.Tensor3D;
      const probe = tf.randomNormal([3, d.totalLen, a.hidden_size], 0, 1, 'float32', 6);
      const fused = run(fusedBlocks, a, names, params, h, probe);
      const plain = run(plainBlocks, a, names, params, h, probe);
      expect(Math.abs(fused.value - plain.value)).toBeLessThan(1e-4);
      expect([...fused.grads.keys()].sort()).toEqual(['h', ...names].sort());
      for (const [k, want] of plain.grads) {
        const have = fused.grads.get(k)!;
        expect(have.length).toBe(want.length);
        let worst = 0;
        for (let j = 0; j < want.length; j++) worst = Math.max(worst, Math.abs(have[j] - want[j]) / (1 + Math.abs(want[j])));
        expect(worst, k).toBeLessThan(1e-5);
        expect(have.some((v) => v !== 0), `gradient of ${k} is all zeros`).toBe(true);
      }
      tf.dispose([h, probe, ...init.values()]);
    });
  }

  it('the attention mixer saves no [B, H, S, S] probabilities for its backward (recomputed there)', () => {
    const s = { B: 3, S: 5, D: 8, heads: 2 };
    const w = [1, 2, 3, 4].map((seed) => tf.randomNormal([s.D, s.D], 0, 0.3, 'float32', seed)) as AttentionWeights;
    const h = tf.randomNormal([s.B * s.S, s.D], 0, 1, 'float32', 8) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const { y, saved } = attentionMixerForward(h, w, null, 1e-5, s);
    expect(saved.map((t) => t.shape)).toEqual([[15, 8], [3, 2, 5, 4], [3, 2, 5, 4], [3, 2, 5, 4], [15, 8], [15, 8], [15, 1]]);
    expect(saved[0]).toBe(h);
    expect(saved[5]).toBe(y);
    expect(tf.memory().numTensors).toBe(before + 6); // exactly the six new saved tensors q, k, v, merged, y, r
    tf.dispose([h, ...w, ...saved.slice(1)]);
  });

  it('refuses a backward pass without a weight-gradient sink', () => {
    const a = { ...arch, mlp_t: true, pos_encodings: 'none' as const };
    const d = dims(a);
    const init = initialValues(a, 4);
    const names = paramSpecs(a).map((s) => s.name).filter(isBlockParam);
    const params = Object.fromEntries(names.map((n) => [n, init.get(n)!]));
    const w = fusedBlocks.weights(params, a);
    const h = tf.randomNormal([2, d.totalLen, a.hidden_size], 0, 1, 'float32', 7) as tf.Tensor3D;
    expect(() => tf.grad((x: tf.Tensor) => tf.sum(fusedBlocks.block(w, 0, { arch: a, rope: null, grads: null }, x as tf.Tensor3D)))(h)).toThrow(/without a weight-gradient sink/);
    fusedBlocks.release(w, params);
    tf.dispose([h, ...init.values()]);
  });
});
