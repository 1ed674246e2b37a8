// createTrainer on a data-parallel model: the same Trainer (step/state/weightsForEval/dispose), its forward and
// backward passes spread over `workers` threads. The schedule and the sparse sign-SGD of the puzzle embeddings run
// once, on this thread; AdamATan2 and the EMA run in the workers, each on its shard of the parameters (ZeRO-1).
// With train.micro_batch_size, each worker runs its rows in micro-batches of that size (one all-reduce per step).
import { validateTrainConfig } from '@trm/trm';
import { createTrainer, type Trainer, type TrainerOptions, type WeightUpdate } from '@trm/trm';
import { createDataParallelModel, type DataParallelModel, type DataParallelOptions } from './data-parallel-model.ts';
import type { OptimizerSettings } from './sharded-optimizer.ts';

/** The trainer's WeightUpdate as `model`'s sharded optimizer (the gradients stay in the workers). */
function shardedUpdate(model: DataParallelModel, settings: OptimizerSettings): WeightUpdate {
  const optimizer = model.attachOptimizer(settings);
  return {
    step: (_grads, lr, t) => optimizer.step(lr, t),
    optimizerState: () => optimizer.optimizerState(),
    emaState: () => optimizer.emaState(),
    loadState: (optim, ema) => optimizer.loadState(optim, ema),
    dispose() {}, // the state lives in the workers, which the model's dispose() ends
  };
}

export async function createParallelTrainer(opts: Omit<TrainerOptions, 'model' | 'update'> & Omit<DataParallelOptions, 'microBatch'>): Promise<Trainer> {
  const { workers, backend, ...trainerOpts } = opts;
  const { train } = opts;
  validateTrainConfig(train);
  const model = await createDataParallelModel(opts.arch, opts.seed, { workers, backend, microBatch: train.micro_batch_size ?? 0 });
  try {
    // the workers micro-batch their rows; the trainer must not split the batch again
    return createTrainer({ ...trainerOpts, train: { ...train, micro_batch_size: 0 }, model, update: (_m, settings) => shardedUpdate(model, settings) });
  } catch (err) {
    await model.close();
    throw err;
  }
}
