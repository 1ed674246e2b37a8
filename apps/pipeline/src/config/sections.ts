// Schemas of the config sections the pipeline and the engine own, defined once (zod): types, validation, defaults
// and the JSON Schema of configs/*.json come from them. `arch` and the engine keys of `train` are the engine's
// (libs/trm: archSchema, trainSchema); the pipeline adds its own keys. Names follow the reference implementation
// (arch: hydra `arch.*`, train: the top-level pretrain config) so configs move between the two.
import { availableParallelism } from 'node:os';
import { archSchema, trainSchema } from '@trm/trm-config';
import { z } from 'zod';

export { archSchema };

/** The engine's training keys and the pipeline's own: when to stop early and to checkpoint. */
export const trainSection = trainSchema
  .extend({
    max_steps: z.int().min(0).default(0).describe('stop after this many optimizer steps (0 = the full schedule)'),
    checkpoint_every: z.int().min(0).default(1000).describe('write a checkpoint every N steps (0 = only at the end)'),
  })
  .strict();

/** The pipeline's keys of `evaluate` (the dataset lib adds its own). */
export const pipelineEvaluateShape = {
  batch_size: z.int().min(1).default(256).describe('test examples per forward batch'),
  trajectory_examples: z.int().min(0).default(8).describe('examples whose per-step predictions go to trajectories.arrow (for the report): the first the recursion fixed (wrong after step 1, right at the end) and the first wrong ones'),
};

export const reportSection = z
  .object({
    examples: z.int().min(0).default(6).describe('puzzles drawn in the report'),
    title: z.string().optional().describe('report title (default: the config name)'),
  })
  .strict();

export const runtimeSection = z
  .object({
    backend: z
      .enum(['auto', 'cpu', 'wasm', 'tensorflow'])
      .default('auto')
      .describe('tfjs backend (auto: tensorflow bindings if installed, then wasm, then cpu); TRM_BACKEND overrides'),
    // no static default: the number of cores of the machine that loads the config (the JSON Schema stays the same)
    workers: z
      .int()
      .min(0)
      .optional()
      .transform((n) => n ?? availableParallelism())
      .describe('worker threads of train and evaluate, each with its own backend and a slice of every batch; default: the number of cores; capped at the rows of a batch; 0 = the main thread'),
    engine: z
      .enum(['tfjs', 'reference'])
      .default('tfjs')
      .describe('who trains: tfjs (this project) or reference (the reference implementation, PyTorch, in the checkout TRM_REFERENCE_DIR names: its data exported, pretrain.py run, its last checkpoint imported)'),
    nproc_per_node: z
      .int()
      .min(1)
      .default(1)
      .describe('engine reference: GPUs of the run (torchrun --nproc-per-node; 1 = python pretrain.py)'),
  })
  .strict();

/** Reference top-level names accepted by `--set` as aliases of `train.*`. */
export const trainAliases: readonly string[] = Object.keys(trainSection.shape);
