// One TRM block (post-norm) and the shared L-level network (spec section 3).
import * as tf from '@tensorflow/tfjs-core';
import { applyRope, attention, linear, rmsNorm, swigluSplit } from '@trm/tensor-core';
import type { RopeTables } from '@trm/tensor-core';
import { layerName } from './params.ts';
import type { ArchConfig } from './types.ts';

/** Weights by reference name. */
export type Weights = Record<string, tf.Tensor>;

export interface NetContext {
  arch: ArchConfig;
  /** RoPE tables [S', head_dim], present when pos_encodings = rope and the block has attention */
  rope: RopeTables | null;
}

/** Multi-head self-attention. h: [B, S', D] -> [B, S', D]. */
function selfAttention(w: Weights, i: number, ctx: NetContext, h: tf.Tensor3D): tf.Tensor3D {
  const [B, S, D] = h.shape;
  const H = ctx.arch.num_heads;
  const hd = D / H;
  // one projection per part from row slices of qkv_proj (see splitWeights; splitting activations is slow on wasm)
  const heads = (part: number) => {
    const t = linear(h, w[layerName(i, `self_attn.qkv_proj.part${part}`)] as tf.Tensor2D); // [B, S', D]
    return tf.transpose(tf.reshape(t, [B, S, H, hd]), [0, 2, 1, 3]) as tf.Tensor4D; // [B, H, S', hd]
  };
  const q = ctx.rope ? applyRope(heads(0), ctx.rope) : heads(0);
  const k = ctx.rope ? applyRope(heads(1), ctx.rope) : heads(1);
  const o = attention(q, k, heads(2)); // [B, H, S', hd]
  const merged = tf.reshape(tf.transpose(o, [0, 2, 1, 3]), [B, S, D]); // [B, S', D]
  return linear(merged, w[layerName(i, 'self_attn.o_proj.weight')] as tf.Tensor2D) as tf.Tensor3D;
}

/** Token-mixing SwiGLU over the position axis, with the norm over positions too. h: [B, S', D] -> [B, S', D]. */
function tokenMlp(w: Weights, i: number, ctx: NetContext, h: tf.Tensor3D): tf.Tensor3D {
  const t = tf.transpose(h, [0, 2, 1]); // [B, D, S']
  const out = swigluOf(w, layerName(i, 'mlp_t'), t);
  const normed = rmsNorm(tf.add(t, out), ctx.arch.rms_norm_eps); // over positions
  return tf.transpose(normed, [0, 2, 1]) as tf.Tensor3D; // [B, S', D]
}

function swigluOf(w: Weights, prefix: string, x: tf.Tensor): tf.Tensor {
  const get = (k: string) => w[`${prefix}.${k}`] as tf.Tensor2D;
  return swigluSplit(x, get('gate_up_proj.gate'), get('gate_up_proj.up'), get('down_proj.weight'));
}

/**
 * Row slices of the fused weights, computed once per pass instead of once per block call (Slice is slow on wasm):
 * `...qkv_proj.part{0,1,2}` [D, D] for q/k/v and `...gate_up_proj.{gate,up}` [inner, w]. Derived tensors only:
 * their gradients flow back to the reference weights through the slices.
 */
export function splitWeights(w: Weights, arch: ArchConfig): Weights {
  const out: Weights = { ...w };
  const D = arch.hidden_size;
  for (let i = 0; i < arch.L_layers; i++) {
    if (!arch.mlp_t) {
      const qkv = w[layerName(i, 'self_attn.qkv_proj.weight')];
      for (let part = 0; part < 3; part++) out[layerName(i, `self_attn.qkv_proj.part${part}`)] = tf.slice(qkv, [part * D, 0], [D, D]);
    }
    for (const mlp of arch.mlp_t ? ['mlp_t', 'mlp'] : ['mlp']) {
      const gu = w[layerName(i, `${mlp}.gate_up_proj.weight`)];
      const [rows, cols] = gu.shape;
      out[layerName(i, `${mlp}.gate_up_proj.gate`)] = tf.slice(gu, [0, 0], [rows / 2, cols]);
      out[layerName(i, `${mlp}.gate_up_proj.up`)] = tf.slice(gu, [rows / 2, 0], [rows / 2, cols]);
    }
  }
  return out;
}

/** The derived tensors of `splitWeights` (to dispose them). */
export function derivedOnly(split: Weights, base: Weights): tf.Tensor[] {
  return Object.entries(split).filter(([k]) => !(k in base)).map(([, t]) => t);
}

/** Post-norm block: h = norm(h + mix(h)); h = norm(h + SwiGLU(h)). */
export function block(w: Weights, i: number, ctx: NetContext, h: tf.Tensor3D): tf.Tensor3D {
  const eps = ctx.arch.rms_norm_eps;
  const mixed = ctx.arch.mlp_t ? tokenMlp(w, i, ctx, h) : (rmsNorm(tf.add(h, selfAttention(w, i, ctx, h)), eps) as tf.Tensor3D);
  const mlp = swigluOf(w, layerName(i, 'mlp'), mixed);
  return rmsNorm(tf.add(mixed, mlp), eps) as tf.Tensor3D;
}

/** The L-level network shared by z_L and z_H: f(h, injection) = blocks(h + injection). */
export function levelNet(w: Weights, ctx: NetContext, h: tf.Tensor3D, injection: tf.Tensor3D): tf.Tensor3D {
  let x = tf.add(h, injection) as tf.Tensor3D;
  for (let i = 0; i < ctx.arch.L_layers; i++) x = block(w, i, ctx, x);
  return x;
}
