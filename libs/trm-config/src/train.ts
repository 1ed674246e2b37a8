// The training hyper-parameters, defined once (zod): the engine's keys of a config's `train` section, with the
// reference's names (pretrain.py's top-level config), defaults and ranges. TrainConfig (the type), the validation and
// the defaults come from here; the pipeline adds its own keys (max_steps, checkpoint_every) beside them.
import { z } from 'zod';
import { issueLines } from './arch.ts';

export const trainSchema = z
  .object({
    global_batch_size: z.int().min(1).default(768).describe('examples per optimizer step'),
    epochs: z.int().min(1).default(50000).describe('passes over the training groups'),
    lr: z.number().min(0).default(1e-4).describe('peak learning rate of AdamATan2'),
    lr_min_ratio: z.number().min(0).max(1).default(1).describe('final lr / peak lr of the cosine schedule (1 = constant)'),
    lr_warmup_steps: z.int().min(0).default(2000).describe('linear warm-up steps'),
    weight_decay: z.number().min(0).default(0.1).describe('decoupled weight decay of the main weights'),
    beta1: z.number().min(0).lt(1).default(0.9).describe('AdamATan2 beta1'),
    beta2: z.number().min(0).lt(1).default(0.95).describe('AdamATan2 beta2'),
    puzzle_emb_lr: z.number().min(0).default(1e-2).describe('sign-SGD learning rate of the puzzle embeddings'),
    puzzle_emb_weight_decay: z.number().min(0).default(0.1).describe('weight decay of the puzzle embeddings'),
    ema: z.boolean().default(false).describe('keep an EMA of the weights; evaluation and model.safetensors use it'),
    ema_rate: z.number().min(0).max(1).default(0.999).describe('EMA rate'),
    micro_batch_size: z
      .int()
      .min(0)
      .default(0)
      .describe('rows per forward/backward chunk, gradients summed over the chunks (less memory, same result up to float rounding; 0 = the whole batch)'),
  })
  .strict();

/** Training hyper-parameters, with the reference's names. */
export type TrainConfig = z.output<typeof trainSchema>;

/** Throws, naming every bad field (`train.<key>: ...`), unless `cfg` is a valid TrainConfig. */
export function validateTrainConfig(cfg: TrainConfig): void {
  const parsed = trainSchema.safeParse(cfg);
  if (!parsed.success) throw new Error(issueLines('train', cfg, parsed.error.issues).join('; '));
}

/** The reference's estimate: int(epochs * total_groups * mean_puzzle_examples / global_batch_size). */
export function totalTrainSteps(cfg: TrainConfig, totalGroups: number, meanPuzzleExamples: number): number {
  return Math.floor((cfg.epochs * totalGroups * meanPuzzleExamples) / cfg.global_batch_size);
}
