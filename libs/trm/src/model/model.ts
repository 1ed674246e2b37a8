// The TRM model: createModel(arch, seed) -> TrmModel. Its parameters (reference state-dict names) and the ACT step
// (act.ts) that both forward and forwardBackward run.
import * as tf from '@tensorflow/tfjs-core';
import { IGNORE_LABEL, ropeTables } from '@trm/tensor-core';
import type { TensorDict } from '@trm/tensor-core';
import { actStep, actStepAsync, type ActModel } from './act.ts';
import { plainBlocks, type BlockImpl } from './block.ts';
import { fusedBlocks } from './fused-block.ts';
import { checkedValues, dims, givenValues, H_INIT, initialValues, L_INIT, paramSpecs, PUZZLE_EMB, validateArch } from './params.ts';
import type { ArchConfig, Carry, TrmModel } from './types.ts';

/** Dispose the tensors a carry owns. */
export function disposeCarry(carry: Carry): void {
  carry.zH.dispose();
  carry.zL.dispose();
}

export interface ModelInit {
  /** every parameter and buffer (reference names, as loadStateDict takes them): the model starts from these values
   *  and draws no random ones (no host copies of an initialisation it would overwrite; `seed` is then unused) */
  weights?: TensorDict;
  /**
   * The block implementation: `fused` (default: hand-written backward, fused kernels, less memory) or `plain` (the
   * composition of ops that tfjs differentiates; the reference the fused one is tested against).
   */
  block?: 'fused' | 'plain';
}

export function createModel(arch: ArchConfig, seed: number, opts: ModelInit = {}): TrmModel {
  validateArch(arch);
  const d = dims(arch);
  const init = opts.weights ? givenValues(arch, opts.weights) : initialValues(arch, seed);
  const params = new Map<string, tf.Variable>();
  for (const spec of paramSpecs(arch)) params.set(spec.name, tf.variable(init.get(spec.name)!, true));
  const hInit = tf.variable(init.get(H_INIT)!, false) as tf.Variable<tf.Rank.R1>;
  const lInit = tf.variable(init.get(L_INIT)!, false) as tf.Variable<tf.Rank.R1>;
  const puzzleEmb = arch.puzzle_emb_ndim > 0 ? (tf.variable(init.get(PUZZLE_EMB)!, false) as tf.Variable<tf.Rank.R2>) : null;
  for (const t of init.values()) t.dispose();
  const blocks: BlockImpl = opts.block === 'plain' ? plainBlocks : fusedBlocks; // the one place the block is chosen
  const rope = !arch.mlp_t && arch.pos_encodings === 'rope' ? ropeTables(d.headDim, d.totalLen, arch.rope_theta) : null;
  const m: ActModel = { arch, dims: d, params, hInit, lInit, puzzleEmb, blocks, rope };

  const allTensors = (): Map<string, tf.Variable> => {
    const all = new Map<string, tf.Variable>(params);
    all.set(H_INIT, hInit);
    all.set(L_INIT, lInit);
    if (puzzleEmb) all.set(PUZZLE_EMB, puzzleEmb);
    return all;
  };

  return {
    arch,
    params,
    puzzleEmb,
    initialCarry(batchSize) {
      const shape: [number, number, number] = [batchSize, d.totalLen, arch.hidden_size];
      return {
        zH: tf.tidy(() => tf.broadcastTo(hInit, shape)) as tf.Tensor3D,
        zL: tf.tidy(() => tf.broadcastTo(lInit, shape)) as tf.Tensor3D,
        steps: new Int32Array(batchSize),
        halted: new Uint8Array(batchSize).fill(1),
        data: { inputs: new Int32Array(batchSize * arch.seq_len), labels: new Int32Array(batchSize * arch.seq_len).fill(IGNORE_LABEL), puzzleIdentifiers: new Int32Array(batchSize) },
      };
    },
    forward: (carry, batch, o) => actStep(m, carry, batch, { training: o.training, rng: o.rng, logits: o.logits }),
    forwardAsync: (carry, batch, o) => actStepAsync(m, carry, batch, { training: o.training, rng: o.rng, logits: o.logits }),
    forwardBackward(carry, batch, o) {
      if (!tf.getGradient('BatchMatMul')) {
        throw new Error("forwardBackward: tfjs's gradients are not registered (initBackend of @trm/tensor-node registers them; in a bundle, import '@tensorflow/tfjs-core/dist/register_all_gradients')");
      }
      return actStep(m, carry, batch, { training: o.training ?? true, rng: o.rng, logits: o.logits, gradient: { lossScale: o.lossScale } });
    },
    stateDict() {
      const out: TensorDict = {};
      for (const [name, v] of allTensors()) out[name] = { dtype: 'float32', shape: [...v.shape], data: (v.dataSync() as Float32Array).slice() };
      return out;
    },
    loadStateDict(dict) {
      const values = checkedValues(arch, dict, 'loadStateDict');
      for (const [name, v] of allTensors()) tf.tidy(() => v.assign(tf.tensor(values.get(name)!, v.shape, 'float32')));
    },
    parameterCount: () => ({ model: [...params.values()].reduce((a, t) => a + t.size, 0), puzzleEmb: puzzleEmb ? puzzleEmb.size : 0 }),
    dispose() {
      tf.dispose([...allTensors().values()]);
      if (rope) tf.dispose([rope.cos, rope.sin]);
    },
  };
}
