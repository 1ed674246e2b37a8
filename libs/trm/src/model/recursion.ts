// The inner model of the reference (TinyRecursiveReasoningModel_ACTV1_Inner): input embedding, the L-level network
// shared by z_L and z_H, one round of latent recursion, and the output heads. `bf16Round` marks where the reference in
// bfloat16 (runtime.precision bf16) casts or adds in bfloat16 outside a matrix product or fused kernel; it is the
// identity in fp32.
import * as tf from '@tensorflow/tfjs-core';
import { bf16Round, embedding, linear, withUnroundedProducts, type RopeTables } from '@trm/tensor-core';
import type { BlockImpl, GradSink, Weights } from './block.ts';
import { PREFIX, type Dims } from './params.ts';
import type { ArchConfig } from './types.ts';

/** One ACT step's view of the network: its config, weights (as the block implementation reads them) and blocks. */
export interface Net {
  arch: ArchConfig;
  dims: Dims;
  w: Weights;
  blocks: BlockImpl;
  rope: RopeTables | null;
  /** where a block with its own backward puts its weight gradients (the round with gradient), else null */
  grads: GradSink | null;
}

/**
 * x = sqrt(D) * [puzzle rows zero-padded to P0*D as [P0, D] | token embeddings] (+ learned positions).
 * inputs [B*S], puzzleRows [B, ndim] or null -> [B, S', D].
 */
export function inputEmbeddings(net: Net, inputs: Int32Array, puzzleRows: tf.Tensor2D | null): tf.Tensor3D {
  const { seq_len: S, hidden_size: D } = net.arch;
  const B = inputs.length / S;
  const table = bf16Round(net.w[`${PREFIX}embed_tokens.embedding_weight`] as tf.Tensor2D); // CastedEmbedding
  let x = tf.reshape(embedding(table, inputs), [B, S, D]) as tf.Tensor3D; // [B, S, D]
  if (puzzleRows) {
    const P0 = net.dims.puzzleLen;
    const pad = P0 * D - puzzleRows.shape[1];
    const padded = bf16Round(pad > 0 ? tf.pad(puzzleRows, [[0, 0], [0, pad]]) : puzzleRows); // [B, P0*D]
    x = tf.concat([tf.reshape(padded, [B, P0, D]), x], 1) as tf.Tensor3D; // [B, S', D]
  }
  if (net.arch.pos_encodings === 'learned') {
    const sum = bf16Round(tf.add(x, bf16Round(net.w[`${PREFIX}embed_pos.embedding_weight`])));
    x = bf16Round(tf.mul(sum, scalar(0.707106781))) as tf.Tensor3D; // scale by 1/sqrt(2)
  }
  return bf16Round(tf.mul(x, scalar(Math.sqrt(D)))) as tf.Tensor3D;
}

/** A Python float multiplying a tensor: the reference's bfloat16 product rounds it to bfloat16 first. */
function scalar(v: number): tf.Scalar {
  return bf16Round(tf.scalar(v));
}

/** The L-level network f(h, injection): the blocks applied in turn to h + injection. [B, S', D] -> [B, S', D]. */
export function levelNet(net: Net, h: tf.Tensor3D, injection: tf.Tensor3D): tf.Tensor3D {
  const ctx = { arch: net.arch, rope: net.rope, grads: net.grads };
  let x = bf16Round(tf.add(h, injection) as tf.Tensor3D);
  for (let i = 0; i < net.arch.L_layers; i++) x = net.blocks.block(net.w, i, ctx, x);
  return x;
}

/** One round of latent recursion: L_cycles times z_L = f(z_L, z_H + x), then z_H = f(z_H, z_L). */
export function latentRecursion(net: Net, zH: tf.Tensor3D, zL: tf.Tensor3D, x: tf.Tensor3D): [tf.Tensor3D, tf.Tensor3D] {
  for (let l = 0; l < net.arch.L_cycles; l++) zL = levelNet(net, zL, bf16Round(tf.add(zH, x) as tf.Tensor3D));
  zH = levelNet(net, zH, zL);
  return [zH, zL];
}

/** logits = lm_head(z_H) without the puzzle positions [B, S, V]; q = q_head(z_H[:, 0]) [B, 2] (halt, continue). */
export function heads(net: Net, zH: tf.Tensor3D): { logits: tf.Tensor3D; q: tf.Tensor2D } {
  const [B, , D] = zH.shape;
  const tokens = tf.slice(zH, [0, net.dims.puzzleLen, 0], [B, net.arch.seq_len, D]); // [B, S, D]
  const logits = linear(tokens, net.w[`${PREFIX}lm_head.weight`] as tf.Tensor2D) as tf.Tensor3D; // [B, S, V]
  const first = tf.reshape(tf.slice(zH, [0, 0, 0], [B, 1, D]), [B, D]); // [B, D]
  // the bias is added before the one rounding in bf16, as torch's addmm does
  const bias = bf16Round(net.w[`${PREFIX}q_head.bias`] as tf.Tensor1D);
  const q = bf16Round(withUnroundedProducts(() => linear(first, net.w[`${PREFIX}q_head.weight`] as tf.Tensor2D, bias))) as tf.Tensor2D; // [B, 2]
  return { logits, q };
}
