// createTrainer's loop (libs/trm) with its steps on worker threads: the forward/backward passes split over the
// workers' replicas (replicas.ts), the gradients all-reduced in shared memory, and AdamATan2 and the EMA run by the
// workers, each on its shard of the weights (ZeRO-1, zero1.ts), as the reference's all_reduce then optim.step(). The
// schedule and the sparse sign-SGD of the puzzle embeddings run once, on this thread. With train.micro_batch_size,
// each worker runs its rows in micro-batches of that size (one all-reduce per step).
//
// The weights live in the shared vector the workers update; the trainer's model (a DataParallelModel, for
// checkpoints and evaluation) holds a main-thread copy that lags behind and is read back only when its weights are
// read (syncWeights). An update does not get a request of its own: it travels with the next step request (every
// worker applies it to its shard, waits for the others, then loads the weights), or goes out on its own first when
// the weights or the optimizer state are read. Either way the same arithmetic on the same values.
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@trm/augment';
import { createModel, createTrainer, H_INIT, L_INIT, validateTrainConfig, type Batch, type Carry, type OptimizerSettings, type Trainer, type TrainerOptions, type TrainOutput, type TrainRuntime } from '@trm/trm';
import { dataParallelModel, type DataParallelModel, type DataParallelOptions } from './data-parallel-model.ts';
import type { UpdateArgs } from './protocol.ts';
import { createReplicaGroup, type ReplicaGroup } from './replicas.ts';
import { startZero1 } from './zero1.ts';

/** The ZeRO-1 runtime of the trainer: the state machine of a deferred update and a lagging main copy. */
function zero1Runtime(group: ReplicaGroup, model: DataParallelModel, settings: OptimizerSettings): TrainRuntime {
  group.publishWeights(model.params); // the shards (and the EMA shadow) start from the model's weights
  const zero = startZero1(group, settings);
  /** the update not sent yet: it goes with the next step request (or on its own before weights or state are read) */
  let pending: UpdateArgs | null = null;
  /** model.params are older than the shared weights */
  let stale = false;
  const flush = () => {
    if (!pending) return;
    const u = pending;
    pending = null;
    zero.update(u.lr, u.t);
  };
  return {
    model,
    forwardBackward(carry: Carry, batch: Batch, o: { rng: Rng; lossScale: number; training?: boolean; logits?: boolean }): TrainOutput {
      const update = pending;
      pending = null;
      const { out, puzzleGrad } = group.step({ mode: 'train', carry, batch, rng: o.rng, lossScale: o.lossScale, training: true, logits: o.logits ?? false, puzzleEmb: model.puzzleEmb, update });
      const ndim = model.arch.puzzle_emb_ndim;
      const puzzleEmbGrad = puzzleGrad ? { ids: puzzleGrad.ids, grad: tf.tensor2d(puzzleGrad.grad, [puzzleGrad.ids.length, ndim]) } : null;
      return { ...out, grads: new Map(), puzzleEmbGrad }; // the summed gradients stay in shared memory for the update
    },
    optimizer: {
      step(_grads, lr, t) {
        flush(); // a second update before the next step request (the same gradients) goes out on its own
        pending = { lr, t };
        stale = true;
      },
      optimizerState() {
        flush();
        return zero.optimizerState();
      },
      emaState() {
        flush();
        return zero.emaState();
      },
      loadState(optim, ema) {
        flush();
        zero.loadState(optim, ema);
      },
      dispose() {}, // the state lives in the workers, which the model's dispose() ends
    },
    syncWeights() {
      flush();
      if (stale) group.readWeights(model.params);
      stale = false;
    },
    dispose: () => model.dispose(),
  };
}

export async function createParallelTrainer(opts: Omit<TrainerOptions, 'runtime'> & Omit<DataParallelOptions, 'microBatch'>): Promise<Trainer> {
  const { workers, backend, ...trainerOpts } = opts;
  const { train, arch, seed } = opts;
  validateTrainConfig(train);
  const main = createModel(arch, seed);
  const dict = main.stateDict();
  let group: ReplicaGroup;
  try {
    group = await createReplicaGroup(arch, seed, main.params, { hInit: dict[H_INIT].data as Float32Array, lInit: dict[L_INIT].data as Float32Array }, { workers, backend, microBatch: train.micro_batch_size ?? 0 });
  } catch (err) {
    main.dispose();
    throw err;
  }
  const model = dataParallelModel(main, group);
  try {
    // the workers micro-batch their rows; the trainer must not split the batch again
    return createTrainer({ ...trainerOpts, train: { ...train, micro_batch_size: 0 }, runtime: (settings) => zero1Runtime(group, model, settings) });
  } catch (err) {
    await model.close();
    throw err;
  }
}
