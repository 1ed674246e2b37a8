// One TRM block (post-norm) and the shared L-level network (spec section 3).
import * as tf from '@tensorflow/tfjs-core';
import { applyRope, attention, linear, rmsNorm, swiglu } from '@trm/tensor-core';
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
  const qkvW = w[layerName(i, 'self_attn.qkv_proj.weight')]; // [3D, D] rows = [q heads | k heads | v heads]
  // one projection per part from row slices of the weight (splitting the activations is slow on wasm)
  const heads = (part: number) => {
    const t = linear(h, tf.slice(qkvW, [part * D, 0], [D, D]) as tf.Tensor2D); // [B, S', D]
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
  const out = swiglu(t, w[layerName(i, 'mlp_t.gate_up_proj.weight')] as tf.Tensor2D, w[layerName(i, 'mlp_t.down_proj.weight')] as tf.Tensor2D);
  const normed = rmsNorm(tf.add(t, out), ctx.arch.rms_norm_eps); // over positions
  return tf.transpose(normed, [0, 2, 1]) as tf.Tensor3D; // [B, S', D]
}

/** Post-norm block: h = norm(h + mix(h)); h = norm(h + SwiGLU(h)). */
export function block(w: Weights, i: number, ctx: NetContext, h: tf.Tensor3D): tf.Tensor3D {
  const eps = ctx.arch.rms_norm_eps;
  const mixed = ctx.arch.mlp_t ? tokenMlp(w, i, ctx, h) : (rmsNorm(tf.add(h, selfAttention(w, i, ctx, h)), eps) as tf.Tensor3D);
  const mlp = swiglu(mixed, w[layerName(i, 'mlp.gate_up_proj.weight')] as tf.Tensor2D, w[layerName(i, 'mlp.down_proj.weight')] as tf.Tensor2D);
  return rmsNorm(tf.add(mixed, mlp), eps) as tf.Tensor3D;
}

/** The L-level network shared by z_L and z_H: f(h, injection) = blocks(h + injection). */
export function levelNet(w: Weights, ctx: NetContext, h: tf.Tensor3D, injection: tf.Tensor3D): tf.Tensor3D {
  let x = tf.add(h, injection) as tf.Tensor3D;
  for (let i = 0; i < ctx.arch.L_layers; i++) x = block(w, i, ctx, x);
  return x;
}
