// Input embedding, one recursion round and the output heads (spec sections 2-3).
import * as tf from '@tensorflow/tfjs-core';
import { embedding, linear } from '@trm/tensor-core';
import { levelNet } from './block.ts';
import type { NetContext, Weights } from './block.ts';
import { PREFIX } from './params.ts';

/**
 * x = sqrt(D) * [puzzle rows zero-padded to P0*D as [P0, D] | token embeddings] (+ learned positions).
 * inputs [B*S], puzzleRows [B, ndim] or null -> [B, S', D].
 */
export function inputEmbeddings(w: Weights, ctx: NetContext, puzzleLen: number, inputs: Int32Array, puzzleRows: tf.Tensor2D | null): tf.Tensor3D {
  const { seq_len: S, hidden_size: D } = ctx.arch;
  const B = inputs.length / S;
  let x = tf.reshape(embedding(w[`${PREFIX}embed_tokens.embedding_weight`] as tf.Tensor2D, inputs), [B, S, D]) as tf.Tensor3D;
  if (puzzleRows) {
    const pad = puzzleLen * D - puzzleRows.shape[1];
    const padded = pad > 0 ? tf.pad(puzzleRows, [[0, 0], [0, pad]]) : puzzleRows; // [B, P0*D]
    x = tf.concat([tf.reshape(padded, [B, puzzleLen, D]), x], 1) as tf.Tensor3D; // [B, S', D]
  }
  if (ctx.arch.pos_encodings === 'learned') {
    x = tf.mul(tf.add(x, w[`${PREFIX}embed_pos.embedding_weight`]), 0.707106781) as tf.Tensor3D;
  }
  return tf.mul(x, Math.sqrt(D)) as tf.Tensor3D;
}

/** One recursion round: L_cycles times z_L = f(z_L, z_H + x); then z_H = f(z_H, z_L). */
export function recursionRound(w: Weights, ctx: NetContext, zH: tf.Tensor3D, zL: tf.Tensor3D, x: tf.Tensor3D): [tf.Tensor3D, tf.Tensor3D] {
  for (let l = 0; l < ctx.arch.L_cycles; l++) zL = levelNet(w, ctx, zL, tf.add(zH, x) as tf.Tensor3D);
  zH = levelNet(w, ctx, zH, zL);
  return [zH, zL];
}

/** logits = lm_head(z_H) without the puzzle positions [B, S, V]; q = q_head(z_H[:, 0]) [B, 2]. */
export function heads(w: Weights, ctx: NetContext, puzzleLen: number, zH: tf.Tensor3D): { logits: tf.Tensor3D; q: tf.Tensor2D } {
  const [B, , D] = zH.shape;
  const S = ctx.arch.seq_len;
  const tokens = tf.slice(zH, [0, puzzleLen, 0], [B, S, D]); // [B, S, D]
  const logits = linear(tokens, w[`${PREFIX}lm_head.weight`] as tf.Tensor2D) as tf.Tensor3D; // [B, S, V]
  const first = tf.reshape(tf.slice(zH, [0, 0, 0], [B, 1, D]), [B, D]); // [B, D]
  const q = linear(first, w[`${PREFIX}q_head.weight`] as tf.Tensor2D, w[`${PREFIX}q_head.bias`] as tf.Tensor1D) as tf.Tensor2D; // [B, 2]
  return { logits, q };
}
