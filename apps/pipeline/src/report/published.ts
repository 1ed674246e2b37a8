// The published TRM recipes and results (arXiv 2510.04871; trm-spec.md section 8), for the comparison columns.

export const PAPER = 'arXiv 2510.04871';

export interface PublishedRecipe {
  task: string;
  /** variant the result belongs to */
  variant: string;
  /** headline test metric: metric key in EvalMetrics (or its task metrics) and the value */
  metric: string;
  value: number;
  arch: { mlp_t: boolean; pos_encodings: string; H_cycles: number; L_cycles: number; L_layers: number; hidden_size: number };
  train: { epochs: number; global_batch_size: number; lr: number; weight_decay: number; ema: boolean };
  /** training data as the paper describes it */
  data: string;
  /** original training puzzles, when the paper gives a count */
  trainPuzzles: number | null;
  augmentations: number | null;
  /** tokens per example (spec section 1) */
  seqLen: number;
}

const common = { L_layers: 2, hidden_size: 512 };
const trainSM = { epochs: 50000, global_batch_size: 768, lr: 1e-4, weight_decay: 1.0, ema: true };

const SUDOKU_MLP: PublishedRecipe = {
  task: 'Sudoku-Extreme', variant: 'mlp_t, no positional encoding', metric: 'exact_accuracy', value: 0.874,
  arch: { mlp_t: true, pos_encodings: 'none', H_cycles: 3, L_cycles: 6, ...common }, train: trainSM,
  data: '1k puzzles x 1000 augmentations', trainPuzzles: 1000, augmentations: 1000, seqLen: 81,
};
const SUDOKU_ATT: PublishedRecipe = {
  ...SUDOKU_MLP, variant: 'attention', value: 0.747,
  arch: { ...SUDOKU_MLP.arch, mlp_t: false, pos_encodings: 'rope' },
};
const MAZE: PublishedRecipe = {
  task: 'Maze-Hard 30x30', variant: 'attention, rope', metric: 'exact_accuracy', value: 0.853,
  arch: { mlp_t: false, pos_encodings: 'rope', H_cycles: 3, L_cycles: 4, ...common }, train: trainSM,
  data: '1k mazes', trainPuzzles: 1000, augmentations: null, seqLen: 900,
};
const ARC_TRAIN = { epochs: 100000, global_batch_size: 768, lr: 1e-4, weight_decay: 0.1, ema: true };
const ARC1: PublishedRecipe = {
  task: 'ARC-AGI-1', variant: 'attention, rope', metric: 'pass@2', value: 0.446,
  arch: { mlp_t: false, pos_encodings: 'rope', H_cycles: 3, L_cycles: 4, ...common }, train: ARC_TRAIN,
  data: 'ARC-AGI-1/2 + ConceptARC, up to 1000 augmentations per task', trainPuzzles: null, augmentations: 1000, seqLen: 900,
};
const ARC2: PublishedRecipe = { ...ARC1, task: 'ARC-AGI-2', value: 0.078 };

/**
 * The published results comparable with a run of `dataset` (a name from the config), best match first.
 * Sudoku: the variant matching `arch.mlp_t` first; ARC: ARC-AGI-2 first when the test set is an ARC-AGI-2 one
 * (`fetch.test_set_name` ending in 2, e.g. `evaluation2`). Unknown datasets have none.
 */
export function publishedFor(dataset: string, config: Record<string, unknown>): PublishedRecipe[] {
  const section = (k: string) => (config[k] && typeof config[k] === 'object' ? (config[k] as Record<string, unknown>) : {});
  switch (dataset) {
    case 'sudoku':
      return section('arch').mlp_t === false ? [SUDOKU_ATT, SUDOKU_MLP] : [SUDOKU_MLP, SUDOKU_ATT];
    case 'maze':
      return [MAZE];
    case 'arc':
      return /2$/.test(String(section('fetch').test_set_name ?? '')) ? [ARC2, ARC1] : [ARC1, ARC2];
    default:
      return [];
  }
}
