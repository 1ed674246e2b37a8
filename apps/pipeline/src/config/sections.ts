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
    eval_interval: z.int().min(0).default(0).describe('evaluate the test split every this many epochs while training (pretrain.py\'s eval_interval; 0 = only the evaluate stage, after training)'),
    min_eval_interval: z.int().min(0).default(0).describe('the first interval (counting from 0) after which to evaluate, as pretrain.py\'s min_eval_interval: evaluations start after (min_eval_interval + 1) x eval_interval epochs'),
    keep_checkpoints: z.int().min(2).default(2).describe('checkpoints kept in train.partial while training runs, each with a model file (the newest ones; at least 2)'),
    early_stop: z.int().min(0).default(0).describe('stop when early_stop_metric has not improved for this many evaluations during training (0 = never)'),
    early_stop_metric: z.string().default('exact_accuracy').describe('the metric of the evaluations during training that early_stop and final_model = best watch (higher is better): exact_accuracy, token_accuracy, q_halt_accuracy or one of the dataset\'s metrics'),
    final_model: z.enum(['last', 'best']).default('last').describe('the weights model.safetensors holds when training ends (finished, early stop, Ctrl-C): the last step\'s, or those of the best evaluation during training'),
  })
  .strict();

/** The train keys the pipeline adds to the engine's (what the engine's trainer does not take). */
export const PIPELINE_TRAIN_KEYS: readonly string[] = Object.keys(trainSection.shape).filter((k) => !(k in trainSchema.shape));

/** A train section without the pipeline's keys: what the engine's trainer takes. */
export function engineTrainPart(train: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(train).filter(([k]) => !PIPELINE_TRAIN_KEYS.includes(k)));
}

/** The pipeline's keys of `evaluate` (the dataset lib adds its own). */
export const pipelineEvaluateShape = {
  batch_size: z.int().min(1).default(256).describe('test examples per forward batch'),
  trajectory_examples: z.int().min(0).default(8).describe('examples whose per-step predictions go to trajectories.arrow (for the report): the first the recursion fixed (wrong after step 1, right at the end) and the first wrong ones'),
  subsample: z.int().min(0).default(0).describe('test examples the evaluations during training use (whole puzzle groups, evenly spaced; 0 = all); the evaluate stage always uses all'),
};

/** Experiment tracking (tracking/index.ts): off unless a key or its environment variable is set. */
export const trackingSection = z
  .object({
    jsonl: z.string().default('').describe('append the metrics of every training run to this JSON-lines file (relative: to the repository root; "" = off); env TRM_TRACKING_JSONL wins'),
    mlflow_uri: z.string().default('').describe('send the metrics to this MLflow tracking server, e.g. http://127.0.0.1:5000 ("" = off); env TRM_MLFLOW_URI wins'),
    experiment: z.string().default('trm').describe('the MLflow experiment the runs go to'),
  })
  .strict();

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
    precision: z
      .enum(['fp32', 'bf16'])
      .default('fp32')
      .describe('arithmetic of the model: fp32, or bf16 = the reference\'s default forward_dtype bfloat16 (bfloat16 matrix products with float32 sums, bfloat16 activations and carry; float32 master weights, optimizer, RMSNorm statistics and loss); bf16 needs the native addon on the wasm backend'),
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
