// The TRM block (post-norm, the reference's TinyRecursiveReasoningModel_ACTV1Block), written as the plain composition
// of tensor-core's ops, each with its own gradient, so that tfjs differentiates the block (the tape). This is the
// reference implementation; fused-block.ts computes the same with a hand-written backward, and block.test.ts checks
// the two against each other. Which one a model runs is chosen in one place: createModel's `block` option.
import * as tf from '@tensorflow/tfjs-core';
import { applyRope, attention, linear, rmsNorm, swiglu, type RopeTables } from '@trm/tensor-core';
import { layerName } from './params.ts';
import type { ArchConfig } from './types.ts';

/** Tensors by reference name: the params, and a block implementation's per-step views of them. */
export type Weights = Record<string, tf.Tensor>;

/** Running sums of weight gradients by weight name, filled by a hand-written block backward. */
export type GradSink = Map<string, tf.Tensor>;

/** What a block needs besides its input and weights. */
export interface BlockContext {
  arch: ArchConfig;
  /** RoPE tables [S', head_dim] when pos_encodings = rope and the block has attention, else null */
  rope: RopeTables | null;
  /** where a block with its own backward puts its weight gradients; null when nothing is differentiated */
  grads: GradSink | null;
}

/**
 * A block implementation: `block(w, i, ctx, h)` maps h [B, S', D] to [B, S', D] through layer i.
 * - `weights` gives the per-step weights it reads, from the params (called once per ACT step; the extra tensors it
 *   makes are freed by `release`);
 * - `ownBackward`: false when tfjs's tape differentiates the block (its weights must then be leaves of the
 *   gradient), true when its backward hands the weight gradients to ctx.grads and `paramGrads` turns them into the
 *   params' gradients.
 */
export interface BlockImpl {
  readonly name: 'plain' | 'fused';
  readonly ownBackward: boolean;
  weights(params: Weights, arch: ArchConfig): Weights;
  release(w: Weights, params: Weights): void;
  block(w: Weights, i: number, ctx: BlockContext, h: tf.Tensor3D): tf.Tensor3D;
  paramGrads(sink: GradSink, arch: ArchConfig): Map<string, tf.Tensor>;
}

/** Self-attention of the reference's Attention: qkv_proj, split heads, RoPE on q and k, softmax(q k^T / sqrt(hd)) v, o_proj. */
function selfAttention(w: Weights, i: number, ctx: BlockContext, h: tf.Tensor3D): tf.Tensor3D {
  const [B, S, D] = h.shape;
  const H = ctx.arch.num_heads;
  const qkv = tf.reshape(linear(h, w[layerName(i, 'self_attn.qkv_proj.weight')] as tf.Tensor2D), [B, S, 3 * H, D / H]); // [B, S', 3H, hd]
  const heads = tf.split(qkv, 3, 2).map((t) => tf.transpose(t, [0, 2, 1, 3]) as tf.Tensor4D); // 3 x [B, H, S', hd]
  const rotate = (x: tf.Tensor4D) => (ctx.rope ? applyRope(x, ctx.rope) : x);
  const out = attention(rotate(heads[0]), rotate(heads[1]), heads[2]); // [B, H, S', hd]
  const merged = tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [B, S, D]); // [B, S', D]
  return linear(merged, w[layerName(i, 'self_attn.o_proj.weight')] as tf.Tensor2D) as tf.Tensor3D;
}

/** The reference's SwiGLU over the last axis: down(silu(gate) * up), [gate | up] = gate_up_proj(x). */
function mlp(w: Weights, name: string, x: tf.Tensor): tf.Tensor {
  return swiglu(x, w[`${name}.gate_up_proj.weight`] as tf.Tensor2D, w[`${name}.down_proj.weight`] as tf.Tensor2D);
}

/** h = norm(h + mix(h)); h = norm(h + SwiGLU(h)), mix = an MLP over the positions (mlp_t) or self-attention. */
function plainBlock(w: Weights, i: number, ctx: BlockContext, h: tf.Tensor3D): tf.Tensor3D {
  const eps = ctx.arch.rms_norm_eps;
  if (ctx.arch.mlp_t) {
    const t = tf.transpose(h, [0, 2, 1]); // [B, D, S']
    h = tf.transpose(rmsNorm(tf.add(t, mlp(w, layerName(i, 'mlp_t'), t)), eps), [0, 2, 1]) as tf.Tensor3D; // [B, S', D]
  } else {
    h = rmsNorm(tf.add(h, selfAttention(w, i, ctx, h)), eps) as tf.Tensor3D;
  }
  return rmsNorm(tf.add(h, mlp(w, layerName(i, 'mlp'), h)), eps) as tf.Tensor3D;
}

/** The plain block: the params as they are, gradients from the tape. */
export const plainBlocks: BlockImpl = {
  name: 'plain',
  ownBackward: false,
  weights: (params) => params,
  release: () => {},
  block: plainBlock,
  paramGrads: () => new Map(),
};
