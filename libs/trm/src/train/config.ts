// Training hyper-parameters, with the reference's names (`train` section of a config, pretrain.py top level).

export interface TrainConfig {
  global_batch_size: number;
  epochs: number;
  lr: number;
  /** cosine floor as a fraction of lr; 1.0 = constant after warm-up */
  lr_min_ratio: number;
  lr_warmup_steps: number;
  weight_decay: number;
  beta1: number;
  beta2: number;
  puzzle_emb_lr: number;
  puzzle_emb_weight_decay: number;
  /** keep an EMA of the weights; evaluation and the saved model use it */
  ema: boolean;
  ema_rate: number;
  /** run each batch's forward/backward in chunks of this many rows, summing the gradients (less memory, same
   *  result up to float summation order); 0 or absent = the whole batch at once */
  micro_batch_size?: number;
}

export function validateTrainConfig(cfg: TrainConfig): void {
  const need = (key: keyof TrainConfig, ok: boolean, expected: string) => {
    if (!ok) throw new Error(`train.${key}: expected ${expected}, got ${JSON.stringify(cfg[key])}`);
  };
  need('global_batch_size', Number.isInteger(cfg.global_batch_size) && cfg.global_batch_size > 0, 'a positive integer');
  need('epochs', Number.isFinite(cfg.epochs) && cfg.epochs > 0, 'a positive number');
  for (const key of ['lr', 'weight_decay', 'puzzle_emb_lr', 'puzzle_emb_weight_decay'] as const) {
    need(key, Number.isFinite(cfg[key]) && cfg[key] >= 0, 'a finite number >= 0');
  }
  need('lr_min_ratio', Number.isFinite(cfg.lr_min_ratio) && cfg.lr_min_ratio >= 0 && cfg.lr_min_ratio <= 1, 'a number in [0, 1]');
  need('lr_warmup_steps', Number.isFinite(cfg.lr_warmup_steps) && cfg.lr_warmup_steps >= 0, 'a number >= 0');
  need('beta1', cfg.beta1 >= 0 && cfg.beta1 < 1, 'a number in [0, 1)');
  need('beta2', cfg.beta2 >= 0 && cfg.beta2 < 1, 'a number in [0, 1)');
  need('ema', typeof cfg.ema === 'boolean', 'true or false');
  const micro = cfg.micro_batch_size ?? 0;
  need('micro_batch_size', Number.isInteger(micro) && micro >= 0, 'an integer >= 0 (0 = the whole batch)');
  need('ema_rate', cfg.ema_rate >= 0 && cfg.ema_rate <= 1, 'a number in [0, 1]');
}

/** The reference's estimate: int(epochs * total_groups * mean_puzzle_examples / global_batch_size). */
export function totalTrainSteps(cfg: TrainConfig, totalGroups: number, meanPuzzleExamples: number): number {
  return Math.floor((cfg.epochs * totalGroups * meanPuzzleExamples) / cfg.global_batch_size);
}
