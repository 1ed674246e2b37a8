// Tiny configs and a trivially learnable split (copy the input), shared by the train and eval tests and the
// pipeline's smoke runs.
import { createRng } from '@trm/augment';
import type { EncodedSplit } from '../data/split.ts';
import type { ArchConfig } from '../model/types.ts';
import type { TrainConfig } from '@trm/trm-config';

export function toyArch(overrides: Partial<ArchConfig> = {}): ArchConfig {
  return {
    seq_len: 6,
    vocab_size: 6,
    num_puzzle_identifiers: 3,
    hidden_size: 16,
    num_heads: 2,
    expansion: 2,
    L_layers: 1,
    H_cycles: 2,
    L_cycles: 1,
    mlp_t: false,
    pos_encodings: 'rope',
    puzzle_emb_ndim: 16,
    puzzle_emb_len: 1,
    halt_max_steps: 3,
    halt_exploration_prob: 0.5,
    rope_theta: 10000,
    rms_norm_eps: 1e-5,
    no_ACT_continue: true,
    ...overrides,
  };
}

export function toyTrainConfig(overrides: Partial<TrainConfig> = {}): TrainConfig {
  return {
    global_batch_size: 4,
    epochs: 10,
    lr: 3e-3,
    lr_min_ratio: 1,
    lr_warmup_steps: 2,
    weight_decay: 0.1,
    beta1: 0.9,
    beta2: 0.95,
    puzzle_emb_lr: 1e-2,
    puzzle_emb_weight_decay: 0.1,
    ema: true,
    ema_rate: 0.9,
    micro_batch_size: 0,
    ...overrides,
  };
}

/**
 * `groups` groups of `perGroup` one-example puzzles; labels copy the inputs (tokens 2..vocab-1), except a
 * first position that is PAD in the labels (ignored, id 0). Identifiers cycle through 1..numIds-1.
 */
export function toyCopySplit(opts: { groups: number; perGroup: number; seqLen: number; vocab: number; numIds: number; seed: number }): EncodedSplit {
  const n = opts.groups * opts.perGroup;
  const S = opts.seqLen;
  const rng = createRng(opts.seed);
  const inputs = new Uint8Array(n * S);
  const labels = new Uint8Array(n * S);
  for (let r = 0; r < n; r++) {
    for (let s = 0; s < S; s++) {
      const tok = 2 + rng.int(opts.vocab - 2);
      inputs[r * S + s] = tok;
      labels[r * S + s] = s === 0 ? 0 : tok;
    }
  }
  return {
    inputs,
    labels,
    puzzleIdentifiers: Int32Array.from({ length: n }, (_, r) => 1 + (r % (opts.numIds - 1))),
    puzzleIndex: Int32Array.from({ length: n }, (_, r) => r),
    groupIndex: Int32Array.from({ length: n }, (_, r) => Math.floor(r / opts.perGroup)),
    seqLen: S,
    vocabSize: opts.vocab,
    ignoreLabelId: 0,
    numPuzzleIdentifiers: opts.numIds,
  };
}
