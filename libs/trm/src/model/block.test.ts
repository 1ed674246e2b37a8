// The fused block op (hand-written backward) against tfjs autodiff of the plain composition of the public ops.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { applyRope, attention, initBackend, linear, rmsNorm, ropeTables, swigluSplit } from '@trm/tensor-core';
import { block, splitWeights } from './block.ts';
import type { NetContext, Weights } from './block.ts';
import { dims, initialValues, layerName, paramSpecs } from './params.ts';
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
    it(`${name}: output and gradients of h and every weight match the plain composition`, () => {
      const a = { ...arch, ...over };
      const d = dims(a);
      const ctx: NetContext = { arch: a, rope: a.pos_encodings === 'rope' && !a.mlp_t ? ropeTables(d.headDim, d.totalLen, a.rope_theta) : null };
      const init = initialValues(a, 3);
      const names = paramSpecs(a).map((s) => s.name).filter((n) => n.includes('L_level'));
      const params = names.map((n) => init.get(n)!);
      const h = tf.randomNormal([3, d.totalLen, a.hidden_size], 0, 1, 'float32', 5) as tf.Tensor3D;
      const probe = tf.randomNormal([3, d.totalLen, a.hidden_size], 0, 1, 'float32', 6);
      const loss = (fn: (w: Weights, c: NetContext, x: tf.Tensor3D) => tf.Tensor) => (x: tf.Tensor, ...ws: tf.Tensor[]) =>
        tf.sum(tf.mul(fn(splitWeights(Object.fromEntries(names.map((n, i) => [n, ws[i]])), a), ctx, x as tf.Tensor3D), probe)) as tf.Scalar;
      const fused = tf.valueAndGrads(loss((w, c, x) => block(w, 0, c, x)))([h, ...params]);
      const plain = tf.valueAndGrads(loss(plainBlock))([h, ...params]);
      expect(Math.abs(fused.value.dataSync()[0] - plain.value.dataSync()[0])).toBeLessThan(1e-4);
      expect(fused.grads.length).toBe(names.length + 1);
      fused.grads.forEach((g, i) => {
        const want = plain.grads[i].dataSync();
        const got = g.dataSync();
        let worst = 0;
        for (let j = 0; j < want.length; j++) worst = Math.max(worst, Math.abs(got[j] - want[j]) / (1 + Math.abs(want[j])));
        expect(worst, i === 0 ? 'h' : names[i - 1]).toBeLessThan(1e-5);
        expect(tf.any(tf.notEqual(g, 0)).dataSync()[0], `gradient ${i} is all zeros`).toBe(1);
      });
      tf.dispose([h, probe, fused.value, plain.value, ...fused.grads, ...plain.grads, ...params, ...init.values()]);
      if (ctx.rope) tf.dispose([ctx.rope.cos, ctx.rope.sin]);
    });
  }

  it('keeps fewer tensor bytes alive for the backward pass than the plain composition', () => {
    const a = { ...arch, mlp_t: true, pos_encodings: 'none' as const };
    const d = dims(a);
    const ctx: NetContext = { arch: a, rope: null };
    const init = initialValues(a, 3);
    const names = paramSpecs(a).map((s) => s.name).filter((n) => n.includes('L_level'));
    const h = tf.randomNormal([4, d.totalLen, a.hidden_size]) as tf.Tensor3D;
    const live = (fn: (w: Weights, c: NetContext, x: tf.Tensor3D) => tf.Tensor): number => {
      let peak = 0;
      const out = tf.valueAndGrads((x: tf.Tensor) => {
        const w = splitWeights(Object.fromEntries(names.map((n) => [n, init.get(n)!])), a);
        let y = x as tf.Tensor3D;
        for (let i = 0; i < 4; i++) y = fn(w, ctx, y) as tf.Tensor3D; // a chain, as in levelNet
        const s = tf.sum(y) as tf.Scalar;
        peak = tf.memory().numBytes;
        return s;
      })([h]);
      tf.dispose([out.value, ...out.grads]);
      return peak;
    };
    const before = tf.memory().numBytes;
    const fusedBytes = live((w, c, x) => block(w, 0, c, x)) - before;
    const plainBytes = live(plainBlock) - before;
    expect(fusedBytes).toBeLessThan(plainBytes);
    tf.dispose([h, ...init.values()]);
  });
});
