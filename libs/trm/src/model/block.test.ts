// The fused block op (hand-written backward) against tfjs autodiff of the plain composition of the public ops.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { applyRope, attention, linear, rmsNorm, ropeTables, swigluSplit } from '@trm/tensor-core';
import { initBackend } from '@trm/tensor-node';
import { block, blockParamGrads, derivedOnly, splitWeights } from './block.ts';
import { attentionMixerForward } from './block-parts.ts';
import type { AttentionWeights } from './block-parts.ts';
import type { GradSink, NetContext, Weights } from './block.ts';
import { dims, initialValues, isBlockParam, layerName, paramSpecs } from './params.ts';
import type { ArchConfig } from './types.ts';

const arch: ArchConfig = {
  seq_len: 5, vocab_size: 4, num_puzzle_identifiers: 1, hidden_size: 8, num_heads: 2, expansion: 2,
  L_layers: 1, H_cycles: 1, L_cycles: 1, mlp_t: false, pos_encodings: 'rope', puzzle_emb_ndim: 8,
  puzzle_emb_len: 1, halt_max_steps: 2, halt_exploration_prob: 0, rope_theta: 10000, rms_norm_eps: 1e-5, no_ACT_continue: true,
};

/** The block as the plain composition of the tensor-core ops (each with its own gradient). */
function plainBlock(w: Weights, ctx: NetContext, h: tf.Tensor3D): tf.Tensor {
  const [B, S, D] = h.shape;
  const eps = ctx.arch.rms_norm_eps;
  const get = (k: string) => w[layerName(0, k)] as tf.Tensor2D;
  const swiglu = (mlp: string, x: tf.Tensor) => swigluSplit(x, get(`${mlp}.gate_up_proj.gate`), get(`${mlp}.gate_up_proj.up`), get(`${mlp}.down_proj.weight`));
  let mixed: tf.Tensor;
  if (ctx.arch.mlp_t) {
    const t = tf.transpose(h, [0, 2, 1]); // [B, D, S']
    mixed = tf.transpose(rmsNorm(tf.add(t, swiglu('mlp_t', t)), eps), [0, 2, 1]);
  } else {
    const H = ctx.arch.num_heads;
    const heads = (p: number) => tf.transpose(tf.reshape(linear(h, get(`self_attn.qkv_proj.part${p}`)), [B, S, H, D / H]), [0, 2, 1, 3]) as tf.Tensor4D;
    const rot = (x: tf.Tensor4D) => (ctx.rope ? applyRope(x, ctx.rope) : x);
    const o = attention(rot(heads(0)), rot(heads(1)), heads(2));
    const attn = linear(tf.reshape(tf.transpose(o, [0, 2, 1, 3]), [B, S, D]), get('self_attn.o_proj.weight'));
    mixed = rmsNorm(tf.add(h, attn), eps);
  }
  return rmsNorm(tf.add(mixed, swiglu('mlp', mixed)), eps);
}

beforeAll(async () => {
  await initBackend();
});

describe('fused block', () => {
  const cases: [string, Partial<ArchConfig>][] = [
    ['attention + rope', {}],
    ['attention without positions', { pos_encodings: 'none' }],
    ['token MLP (mlp_t)', { mlp_t: true, pos_encodings: 'none' }],
  ];
  for (const [name, over] of cases) {
    it(`${name}: two chained calls give the output and gradients (h, every weight) of the plain composition`, () => {
      const a = { ...arch, ...over };
      const d = dims(a);
      const rope = a.pos_encodings === 'rope' && !a.mlp_t ? ropeTables(d.headDim, d.totalLen, a.rope_theta) : null;
      const sink: GradSink = new Map();
      const init = initialValues(a, 3);
      const names = paramSpecs(a).map((s) => s.name).filter(isBlockParam);
      const params = names.map((n) => init.get(n)!);
      const h = tf.randomNormal([3, d.totalLen, a.hidden_size], 0, 1, 'float32', 5) as tf.Tensor3D;
      const probe = tf.randomNormal([3, d.totalLen, a.hidden_size], 0, 1, 'float32', 6);
      const split = splitWeights(Object.fromEntries(names.map((n, i) => [n, params[i]])), a);
      // fused: gradient of h through the tape, of the weights through the sink (summed over both calls)
      const ctx: NetContext = { arch: a, rope, grads: sink };
      const fused = tf.valueAndGrads((x: tf.Tensor) => tf.sum(tf.mul(block(split, 0, ctx, block(split, 0, ctx, x as tf.Tensor3D)), probe)) as tf.Scalar)([h]);
      const fusedW = blockParamGrads(sink, a);
      const plain = tf.valueAndGrads((x: tf.Tensor, ...ws: tf.Tensor[]) => {
        const w = splitWeights(Object.fromEntries(names.map((n, i) => [n, ws[i]])), a);
        const c: NetContext = { arch: a, rope, grads: null };
        return tf.sum(tf.mul(plainBlock(w, c, plainBlock(w, c, x as tf.Tensor3D) as tf.Tensor3D), probe)) as tf.Scalar;
      })([h, ...params]);
      expect(Math.abs(fused.value.dataSync()[0] - plain.value.dataSync()[0])).toBeLessThan(1e-4);
      expect([...fusedW.keys()].sort()).toEqual([...names].sort());
      const got = [fused.grads[0], ...names.map((n) => fusedW.get(n)!)];
      got.forEach((g, i) => {
        const want = plain.grads[i].dataSync();
        const have = g.dataSync();
        expect(have.length).toBe(want.length);
        let worst = 0;
        for (let j = 0; j < want.length; j++) worst = Math.max(worst, Math.abs(have[j] - want[j]) / (1 + Math.abs(want[j])));
        expect(worst, i === 0 ? 'h' : names[i - 1]).toBeLessThan(1e-5);
        expect(tf.any(tf.notEqual(g, 0)).dataSync()[0], `gradient ${i} is all zeros`).toBe(1);
      });
      tf.dispose([h, probe, fused.value, plain.value, ...fused.grads, ...fusedW.values(), ...plain.grads, ...derivedOnly(split, Object.fromEntries(names.map((n, i) => [n, params[i]]))), ...init.values()]);
      if (rope) tf.dispose([rope.cos, rope.sin]);
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
    const w = splitWeights(Object.fromEntries(names.map((n) => [n, init.get(n)!])), a);
    const h = tf.randomNormal([2, d.totalLen, a.hidden_size], 0, 1, 'float32', 7) as tf.Tensor3D;
    expect(() => tf.grad((x: tf.Tensor) => tf.sum(block(w, 0, { arch: a, rope: null, grads: null }, x as tf.Tensor3D)))(h)).toThrow(/without a weight-gradient sink/);
    tf.dispose([h, ...init.values()]);
  });
});
