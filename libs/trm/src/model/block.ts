// One TRM block (post-norm) as a fused op, and the shared L-level network (spec section 3).
import * as tf from '@tensorflow/tfjs-core';
import type { RopeTables } from '@trm/tensor-core';
import { attentionMixerBackward, attentionMixerForward, mlpResidualBackward, mlpResidualForward, tokenMixerBackward, tokenMixerForward } from './block-parts.ts';
import type { AttentionWeights, BlockShape, SwigluWeights } from './block-parts.ts';
import { layerName } from './params.ts';
import type { ArchConfig } from './types.ts';

/** Weights by reference name. */
export type Weights = Record<string, tf.Tensor>;

export interface NetContext {
  arch: ArchConfig;
  /** RoPE tables [S', head_dim], present when pos_encodings = rope and the block has attention */
  rope: RopeTables | null;
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

/** The weights of block i, in the order the fused op takes them: the mixer's, then the MLP's. */
function blockWeights(w: Weights, i: number, arch: ArchConfig): tf.Tensor2D[] {
  const swiglu = (mlp: string) => ['gate_up_proj.gate', 'gate_up_proj.up', 'down_proj.weight'].map((k) => layerName(i, `${mlp}.${k}`));
  const mixer = arch.mlp_t ? swiglu('mlp_t') : [0, 1, 2].map((p) => layerName(i, `self_attn.qkv_proj.part${p}`)).concat(layerName(i, 'self_attn.o_proj.weight'));
  return [...mixer, ...swiglu('mlp')].map((name) => w[name] as tf.Tensor2D);
}

/**
 * Post-norm block h = norm(h + mix(h)); h = norm(h + SwiGLU(h)) as one op with a hand-written backward
 * (block-parts.ts). The tape keeps only what that backward reads (weights, the parts' saved activations), and
 * the backward's own intermediates die with it, instead of every forward and gradient tensor of the block
 * living until the whole backward pass ends. h: [B, S', D] -> [B, S', D].
 */
export function block(w: Weights, i: number, ctx: NetContext, h: tf.Tensor3D): tf.Tensor3D {
  const { arch, rope } = ctx;
  const [B, S, D] = h.shape;
  const shape: BlockShape = { B, S, D, heads: arch.num_heads };
  const eps = arch.rms_norm_eps;
  const weights = blockWeights(w, i, arch);
  const nMixer = weights.length - 3;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = tf.reshape(args[0] as tf.Tensor, [B * S, D]) as tf.Tensor2D; // [B*S', D]
    const ws = args.slice(1, 1 + weights.length) as tf.Tensor2D[];
    const save = args[1 + weights.length] as tf.GradSaveFunc;
    const mixerW = ws.slice(0, nMixer);
    const mlpW = ws.slice(nMixer) as SwigluWeights;
    const mixer = arch.mlp_t ? tokenMixerForward(x, mixerW as SwigluWeights, eps, shape) : attentionMixerForward(x, mixerW as AttentionWeights, rope, eps, shape);
    const mlp = mlpResidualForward(mixer.y, mlpW, eps);
    // weights too: the split weights are created inside the gradient's forward scope and disposed after it
    save([...ws, ...mixer.saved, ...mlp.saved]);
    const nSavedMixer = mixer.saved.length;
    return {
      value: tf.reshape(mlp.y, [B, S, D]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const grads = tf.tidy(() => {
          const sw = saved.slice(0, weights.length) as tf.Tensor2D[];
          const mixerSaved = saved.slice(weights.length, weights.length + nSavedMixer);
          const mlpSaved = saved.slice(weights.length + nSavedMixer);
          const [dMixed, ...dMlp] = mlpResidualBackward(tf.reshape(dy, [B * S, D]) as tf.Tensor2D, mlpSaved, sw.slice(nMixer) as SwigluWeights);
          tf.dispose(mlpSaved); // read once: free now rather than when the whole backward pass ends (as the tape would)
          const [dx, ...dMixer] = arch.mlp_t
            ? tokenMixerBackward(dMixed, mixerSaved, sw.slice(0, nMixer) as SwigluWeights, shape)
            : attentionMixerBackward(dMixed, mixerSaved, sw.slice(0, nMixer) as AttentionWeights, rope, shape);
          return [tf.reshape(dx, [B, S, D]), ...dMixer, ...dMlp];
        });
        tf.dispose(saved);
        return grads;
      },
    };
  });
  return op(h, ...weights) as tf.Tensor3D;
}

/** The L-level network shared by z_L and z_H: f(h, injection) = blocks(h + injection). */
export function levelNet(w: Weights, ctx: NetContext, h: tf.Tensor3D, injection: tf.Tensor3D): tf.Tensor3D {
  let x = tf.add(h, injection) as tf.Tensor3D;
  for (let i = 0; i < ctx.arch.L_layers; i++) x = block(w, i, ctx, x);
  return x;
}
