// A TrmModel whose forward and forwardBackward run data-parallel on worker threads (replicas.ts), keeping the
// TrmModel contract: its params (a main-thread model) are the weights, published to the workers before every call,
// and forwardBackward returns the summed gradients. Results equal a single model's up to the order of
// floating-point sums.
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@trm/augment';
import { createModel, H_INIT, L_INIT, type ArchConfig, type Batch, type Carry, type StepOutput, type TrainOutput, type TrmModel } from '@trm/trm';
import { createReplicaGroup, type ReplicaDiagnostics, type ReplicaGroup, type ReplicaOptions } from './replicas.ts';

export type DataParallelOptions = ReplicaOptions;

export interface DataParallelModel extends TrmModel {
  readonly workers: number;
  /** what the workers measure (timings of the last call, tensors, memory), for benchmarks and leak checks */
  readonly diagnostics: ReplicaDiagnostics;
  /** dispose() and wait for the worker threads to exit */
  close(): Promise<void>;
}

/** The data-parallel model over `group`, whose weights are `main`'s (the model owns both). */
export function dataParallelModel(main: TrmModel, group: ReplicaGroup): DataParallelModel {
  const run = (mode: 'train' | 'eval', carry: Carry, batch: Batch, o: { rng: Rng; lossScale: number; training: boolean; logits?: boolean }) => {
    group.publishWeights(main.params);
    return group.step({ mode, carry, batch, rng: o.rng, lossScale: o.lossScale, training: o.training, logits: o.logits ?? false, puzzleEmb: main.puzzleEmb, update: null });
  };
  let disposed = false;
  const dispose = () => {
    if (disposed) return;
    disposed = true;
    main.dispose();
    void group.close();
  };
  return {
    arch: main.arch,
    params: main.params,
    puzzleEmb: main.puzzleEmb,
    workers: group.world,
    diagnostics: group.diagnostics,
    initialCarry: (batchSize) => main.initialCarry(batchSize),
    forward: (carry, batch, o): StepOutput => run('eval', carry, batch, { ...o, lossScale: 1 }).out,
    forwardBackward(carry, batch, o): TrainOutput {
      const { out, puzzleGrad } = run('train', carry, batch, { ...o, training: true });
      const grads = new Map<string, tf.Tensor>();
      for (const slot of group.layout.slots) grads.set(slot.name, tf.tensor(group.gradients.slice(slot.offset, slot.offset + slot.size), slot.shape, 'float32'));
      const ndim = main.arch.puzzle_emb_ndim;
      const puzzleEmbGrad = puzzleGrad ? { ids: puzzleGrad.ids, grad: tf.tensor2d(puzzleGrad.grad, [puzzleGrad.ids.length, ndim]) } : null;
      return { ...out, grads, puzzleEmbGrad };
    },
    stateDict: () => main.stateDict(),
    loadStateDict(dict) {
      main.loadStateDict(dict); // a partial dict keeps the other weights
      group.publishWeights(main.params); // the workers read the shared vector (also when their optimizer owns it)
      const all = main.stateDict();
      group.rebuild(all[H_INIT].data as Float32Array, all[L_INIT].data as Float32Array);
    },
    parameterCount: () => main.parameterCount(),
    dispose,
    async close() {
      dispose();
      await group.close();
    },
  };
}

/** A data-parallel model of `arch`, initialised from `seed` as createModel(arch, seed) is. close() when done. */
export async function createDataParallelModel(arch: ArchConfig, seed: number, opts: DataParallelOptions = {}): Promise<DataParallelModel> {
  const main = createModel(arch, seed);
  const dict = main.stateDict();
  try {
    const group = await createReplicaGroup(arch, seed, main.params, { hInit: dict[H_INIT].data as Float32Array, lInit: dict[L_INIT].data as Float32Array }, opts);
    return dataParallelModel(main, group);
  } catch (err) {
    main.dispose();
    throw err;
  }
}
