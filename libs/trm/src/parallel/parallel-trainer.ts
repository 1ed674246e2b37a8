// createTrainer on a data-parallel model: the same Trainer (step/state/weightsForEval/dispose), its forward and
// backward passes spread over `workers` threads. Optimizer, EMA and schedule run once, on this thread.
import { createTrainer, type Trainer, type TrainerOptions } from '../train/trainer.ts';
import { createDataParallelModel, type DataParallelOptions } from './data-parallel-model.ts';

export async function createParallelTrainer(opts: Omit<TrainerOptions, 'model'> & DataParallelOptions): Promise<Trainer> {
  const { workers, backend, ...trainerOpts } = opts;
  const model = await createDataParallelModel(opts.arch, opts.seed, { workers, backend });
  try {
    return createTrainer({ ...trainerOpts, model });
  } catch (err) {
    await model.close();
    throw err;
  }
}
