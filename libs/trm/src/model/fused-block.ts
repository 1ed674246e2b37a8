// The TRM block of block.ts with a hand-written backward: the same math (block.test.ts checks the two against each
// other), fast paths kept. The block is one tfjs op of h whose backward chains the parts' backwards
// (fused-block-parts.ts), so the tape keeps only the parts' saved activations, each freed as soon as the backward
// has read it, instead of every forward and gradient tensor of the block until the whole backward pass ends. The
// weights are not inputs of the op: their gradients go to ctx.grads (one running sum per weight) rather than one
// tensor per block call kept by the tape.
import * as tf from '@tensorflow/tfjs-core';
import type { BlockContext, BlockImpl, GradSink, Weights } from './block.ts';
import { attentionMixerBackward, attentionMixerForward, mlpResidualBackward, mlpResidualForward, tokenMixerBackward, tokenMixerForward } from './fused-block-parts.ts';
import type { AttentionWeights, BlockShape, SwigluWeights } from './fused-block-parts.ts';
import { layerName } from './params.ts';
import type { ArchConfig } from './types.ts';

/**
 * Row slices of the stacked weights, cut once per ACT step instead of once per block call: `...qkv_proj.part{0,1,2}`
 * [D, D] for q/k/v and `...gate_up_proj.{gate,up}` [inner, w]. The params are kept as they are.
 */
function splitWeights(params: Weights, arch: ArchConfig): Weights {
  const out: Weights = { ...params };
  const D = arch.hidden_size;
  for (let i = 0; i < arch.L_layers; i++) {
    if (!arch.mlp_t) {
      const qkv = params[layerName(i, 'self_attn.qkv_proj.weight')];
      for (let part = 0; part < 3; part++) out[layerName(i, `self_attn.qkv_proj.part${part}`)] = tf.slice(qkv, [part * D, 0], [D, D]); // [3D, D] -> [D, D]
    }
    for (const mlp of arch.mlp_t ? ['mlp_t', 'mlp'] : ['mlp']) {
      const gu = params[layerName(i, `${mlp}.gate_up_proj.weight`)];
      const [rows, cols] = gu.shape;
      out[layerName(i, `${mlp}.gate_up_proj.gate`)] = tf.slice(gu, [0, 0], [rows / 2, cols]); // [2*inner, w] -> [inner, w]
      out[layerName(i, `${mlp}.gate_up_proj.up`)] = tf.slice(gu, [rows / 2, 0], [rows / 2, cols]); // [inner, w]
    }
  }
  return out;
}

/** Names of the weights block i uses, in the order the parts take them: the mixer's, then the MLP's. */
function blockWeightNames(i: number, arch: ArchConfig): string[] {
  const swiglu = (mlp: string) => ['gate_up_proj.gate', 'gate_up_proj.up', 'down_proj.weight'].map((k) => layerName(i, `${mlp}.${k}`));
  const mixer = arch.mlp_t ? swiglu('mlp_t') : [0, 1, 2].map((p) => layerName(i, `self_attn.qkv_proj.part${p}`)).concat(layerName(i, 'self_attn.o_proj.weight'));
  return [...mixer, ...swiglu('mlp')];
}

/**
 * Replace the sink's running sums of `names` by the new ones (the sink owns its tensors; kept, so no enclosing tidy
 * frees them; the old sums freed).
 */
function replaceSums(sink: GradSink, names: string[], sums: tf.Tensor[]): void {
  names.forEach((name, k) => {
    const old = sink.get(name);
    sink.set(name, tf.keep(sums[k]));
    old?.dispose();
  });
}

/** Post-norm block h = norm(h + mix(h)); h = norm(h + SwiGLU(h)) as one op of h. h: [B, S', D] -> [B, S', D]. */
function fusedBlock(w: Weights, i: number, ctx: BlockContext, h: tf.Tensor3D): tf.Tensor3D {
  const { arch, rope, grads: sink } = ctx;
  const [B, S, D] = h.shape;
  const shape: BlockShape = { B, S, D, heads: arch.num_heads };
  const eps = arch.rms_norm_eps;
  const names = blockWeightNames(i, arch);
  const ws = names.map((n) => w[n] as tf.Tensor2D);
  const nMixer = ws.length - 3;
  const mixerW = ws.slice(0, nMixer);
  const mlpW = ws.slice(nMixer) as SwigluWeights;
  if (!sink) {
    // a round without gradient (no sink: no backward follows): the forward alone, no activations saved
    const forwardOnly = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
      value: tf.tidy(() => {
        const x = tf.reshape(args[0] as tf.Tensor, [B * S, D]) as tf.Tensor2D; // [B*S', D]
        const mixed = arch.mlp_t ? tokenMixerForward(x, mixerW as SwigluWeights, eps, shape, false).y : attentionMixerForward(x, mixerW as AttentionWeights, rope, eps, shape).y;
        return tf.reshape(mlpResidualForward(mixed, mlpW, eps, false).y, [B, S, D]); // [B*S', D] -> [B, S', D]
      }),
      gradFunc: () => {
        throw new Error('block: backward pass without a weight-gradient sink (BlockContext.grads)');
      },
    }));
    return forwardOnly(h) as tf.Tensor3D;
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = tf.reshape(args[0] as tf.Tensor, [B * S, D]) as tf.Tensor2D; // [B*S', D]
    const save = args[1] as tf.GradSaveFunc;
    const mixer = arch.mlp_t ? tokenMixerForward(x, mixerW as SwigluWeights, eps, shape) : attentionMixerForward(x, mixerW as AttentionWeights, rope, eps, shape);
    const mlp = mlpResidualForward(mixer.y, mlpW, eps);
    save([...mixer.saved, ...mlp.saved]);
    const nSavedMixer = mixer.saved.length;
    return {
      value: tf.reshape(mlp.y, [B, S, D]), // [B*S', D] -> [B, S', D]
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const dh = tf.tidy(() => {
          const mixerSaved = saved.slice(0, nSavedMixer);
          const mlpSaved = saved.slice(nSavedMixer);
          // each weight's gradient so far (over the block calls already differentiated): the parts return it with
          // this call's added (one GEMM with an addend where the kernels have one)
          const sums = names.map((n) => sink.get(n) as tf.Tensor2D | undefined);
          const [dMixed, ...dMlp] = mlpResidualBackward(tf.reshape(dy, [B * S, D]) as tf.Tensor2D, mlpSaved, mlpW, sums.slice(nMixer)); // dy [B, S', D] -> [B*S', D]
          tf.dispose(mlpSaved); // read once: free now rather than when the whole backward pass ends (as the tape would)
          const [dx, ...dMixer] = arch.mlp_t
            ? tokenMixerBackward(dMixed, mixerSaved, mixerW as SwigluWeights, shape, sums.slice(0, nMixer))
            : attentionMixerBackward(dMixed, mixerSaved, mixerW as AttentionWeights, rope, shape, sums.slice(0, nMixer));
          replaceSums(sink, names, [...dMixer, ...dMlp]);
          return tf.reshape(dx, [B, S, D]); // [B*S', D] -> [B, S', D]
        });
        tf.dispose(saved);
        return [dh];
      },
    };
  });
  return op(h) as tf.Tensor3D;
}

/**
 * The gradients of the reference block weights from a sink filled over the split weights:
 * qkv_proj = [part0; part1; part2] and gate_up_proj = [gate; up] stacked by rows. Takes ownership of the sink.
 */
function paramGrads(sink: GradSink, arch: ArchConfig): Map<string, tf.Tensor> {
  const take = (name: string): tf.Tensor => {
    const g = sink.get(name);
    if (!g) throw new Error(`block gradients: no gradient for ${name}`);
    sink.delete(name);
    return g;
  };
  const stack = (parts: string[]) => {
    const gs = parts.map(take);
    const out = tf.concat(gs, 0); // the parts' [rows, cols] stacked by rows
    tf.dispose(gs);
    return out;
  };
  const out = new Map<string, tf.Tensor>();
  for (let i = 0; i < arch.L_layers; i++) {
    if (!arch.mlp_t) {
      out.set(layerName(i, 'self_attn.qkv_proj.weight'), stack([0, 1, 2].map((p) => layerName(i, `self_attn.qkv_proj.part${p}`))));
      out.set(layerName(i, 'self_attn.o_proj.weight'), take(layerName(i, 'self_attn.o_proj.weight')));
    }
    for (const mlp of arch.mlp_t ? ['mlp_t', 'mlp'] : ['mlp']) {
      out.set(layerName(i, `${mlp}.gate_up_proj.weight`), stack([layerName(i, `${mlp}.gate_up_proj.gate`), layerName(i, `${mlp}.gate_up_proj.up`)]));
      out.set(layerName(i, `${mlp}.down_proj.weight`), take(layerName(i, `${mlp}.down_proj.weight`)));
    }
  }
  if (sink.size > 0) throw new Error(`block gradients: unexpected entries ${[...sink.keys()].join(', ')}`);
  return out;
}

/** The fused block: split weights per step, its own backward, weight gradients through the sink. */
export const fusedBlocks: BlockImpl = {
  name: 'fused',
  ownBackward: true,
  weights: (params, arch) => tf.tidy(() => splitWeights(params, arch)),
  release: (w, params) => tf.dispose(Object.entries(w).filter(([k]) => !(k in params)).map(([, t]) => t)),
  block: fusedBlock,
  paramGrads,
};
