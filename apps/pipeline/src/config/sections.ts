// Schemas of the pipeline-owned config sections. Names follow the reference implementation
// (arch: hydra `arch.*`, train: the top-level pretrain config) so configs move between the two.
import { availableParallelism } from 'node:os';
import type { SectionSchema } from '@trm/dataset';

export const archSchema: SectionSchema = {
  hidden_size: { type: 'integer', description: 'width D of every hidden state', default: 512, min: 1 },
  num_heads: { type: 'integer', description: 'attention heads (hidden_size must be divisible by it)', default: 8, min: 1 },
  expansion: { type: 'number', description: 'SwiGLU expansion factor', default: 4, min: 0 },
  H_cycles: { type: 'integer', description: 'recursion rounds per supervision step', default: 3, min: 1 },
  L_cycles: { type: 'integer', description: 'z_L updates per round', default: 6, min: 1 },
  L_layers: { type: 'integer', description: 'blocks in the shared network', default: 2, min: 1 },
  mlp_t: { type: 'boolean', description: 'MLP over the token axis instead of attention', default: false },
  pos_encodings: { type: 'enum', description: 'position encoding', values: ['rope', 'learned', 'none'], default: 'rope' },
  puzzle_emb_ndim: { type: 'integer', description: 'puzzle embedding width (0 = none)', default: 512, min: 0 },
  puzzle_emb_len: { type: 'integer', description: 'prepended positions (0 = ceil(puzzle_emb_ndim / hidden_size))', default: 0, min: 0 },
  halt_max_steps: { type: 'integer', description: 'supervision steps (ACT maximum)', default: 16, min: 1 },
  halt_exploration_prob: { type: 'number', description: 'probability of a random minimum step count while training', default: 0.1, min: 0, max: 1 },
  rope_theta: { type: 'number', description: 'RoPE base', default: 10000, min: 0 },
  rms_norm_eps: { type: 'number', description: 'RMSNorm epsilon', default: 1e-5, min: 0 },
  no_ACT_continue: { type: 'boolean', description: 'halt on q_halt > 0 only (no q_continue target)', default: true },
};

export const trainSchema: SectionSchema = {
  global_batch_size: { type: 'integer', description: 'examples per optimizer step', default: 768, min: 1 },
  epochs: { type: 'integer', description: 'passes over the training groups', default: 50000, min: 1 },
  lr: { type: 'number', description: 'peak learning rate of AdamATan2', default: 1e-4, min: 0 },
  lr_min_ratio: { type: 'number', description: 'final lr / peak lr of the cosine schedule (1 = constant)', default: 1, min: 0, max: 1 },
  lr_warmup_steps: { type: 'integer', description: 'linear warm-up steps', default: 2000, min: 0 },
  weight_decay: { type: 'number', description: 'decoupled weight decay of the main weights', default: 0.1, min: 0 },
  beta1: { type: 'number', description: 'AdamATan2 beta1', default: 0.9, min: 0, max: 1 },
  beta2: { type: 'number', description: 'AdamATan2 beta2', default: 0.95, min: 0, max: 1 },
  puzzle_emb_lr: { type: 'number', description: 'sign-SGD learning rate of the puzzle embeddings', default: 1e-2, min: 0 },
  puzzle_emb_weight_decay: { type: 'number', description: 'weight decay of the puzzle embeddings', default: 0.1, min: 0 },
  ema: { type: 'boolean', description: 'keep an EMA of the weights; evaluation and model.safetensors use it', default: false },
  ema_rate: { type: 'number', description: 'EMA rate', default: 0.999, min: 0, max: 1 },
  micro_batch_size: { type: 'integer', description: 'rows per forward/backward chunk, gradients summed over the chunks (less memory, same result up to float rounding; 0 = the whole batch)', default: 0, min: 0 },
  max_steps: { type: 'integer', description: 'stop after this many optimizer steps (0 = the full schedule)', default: 0, min: 0 },
  checkpoint_every: { type: 'integer', description: 'write a checkpoint every N steps (0 = only at the end)', default: 1000, min: 0 },
};

export const pipelineEvaluateSchema: SectionSchema = {
  batch_size: { type: 'integer', description: 'test examples per forward batch', default: 256, min: 1 },
  trajectory_examples: { type: 'integer', description: 'examples whose per-step predictions go to trajectories.arrow', default: 8, min: 0 },
};

export const reportSchema: SectionSchema = {
  examples: { type: 'integer', description: 'puzzles drawn in the report', default: 6, min: 0 },
  title: { type: 'string', description: 'report title (default: the config name)', optional: true },
};

export const runtimeSchema: SectionSchema = {
  backend: { type: 'enum', description: 'tfjs backend (auto: tensorflow bindings if installed, then wasm, then cpu); TRM_BACKEND overrides', values: ['auto', 'cpu', 'wasm', 'tensorflow'], default: 'auto' },
  workers: {
    type: 'integer',
    description: `worker threads of train and evaluate, each with its own backend and a slice of every batch; default: the number of cores, ${availableParallelism()} here; capped at the rows of a batch; 0 = the main thread`,
    default: availableParallelism(),
    min: 0,
  },
};

/** Reference top-level names accepted by `--set` as aliases of `train.*`. */
export const trainAliases: readonly string[] = Object.keys(trainSchema);
