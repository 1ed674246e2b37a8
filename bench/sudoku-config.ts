// A Sudoku config of configs/ as the engine sees it, built through the libs the way the pipeline's fetch ->
// augment -> encode -> train stages do, but in memory (no artifacts): the soak suite trains on it.
import { sudoku } from '@trm/sudoku';
import { indexSplit, type ArchConfig, type EncodedSplit, type TrainConfig } from '@trm/trm';
import { loadConfig, type ResolvedConfig } from '../apps/pipeline/src/config/load.ts';
import { archConfig, trainConfig } from '../apps/pipeline/src/stages/train.ts';
import { configsDir, workspaceRoot } from '../apps/pipeline/src/workspace.ts';
import { localSourceIO } from './common.ts';

/** A config of configs/ as the pipeline resolves it (extends, schema defaults, validation); Sudoku only. */
export type BenchConfig = ResolvedConfig;

export async function loadBenchConfig(name: string): Promise<BenchConfig> {
  const root = workspaceRoot();
  const { config } = await loadConfig(name, { dir: configsDir(root), root });
  if (config.dataset !== 'sudoku') throw new Error(`${config.file}: dataset ${JSON.stringify(config.dataset)}; the bench builds only sudoku configs`);
  return config;
}

/** The encoded train split: sudoku.fetch (the top-level seed as fetch.seed unless set) -> augment -> encode. */
export async function sudokuTrainSplit(cfg: BenchConfig): Promise<EncodedSplit> {
  const puzzles = await sudoku.fetch({ seed: cfg.seed, ...cfg.fetch }, localSourceIO('bench'));
  const shape = sudoku.shape(cfg.encode);
  const ids = new Map<string, number>([['', 0]]);
  const rows: { inputs: Uint8Array; labels: Uint8Array; id: number; puzzle: number; group: number }[] = [];
  let puzzle = -1;
  for (const group of sudoku.augment(puzzles, cfg.augment, cfg.seed, 'train')) {
    for (const aug of group) {
      puzzle++;
      if (!ids.has(aug.name)) ids.set(aug.name, ids.size);
      for (const example of aug.examples) {
        const enc = sudoku.encode(example, cfg.encode);
        rows.push({ ...enc, id: ids.get(aug.name)!, puzzle, group: aug.group });
      }
    }
  }
  const S = shape.seqLen;
  const split: EncodedSplit = {
    inputs: new Uint8Array(rows.length * S),
    labels: new Uint8Array(rows.length * S),
    puzzleIdentifiers: Int32Array.from(rows, (r) => r.id),
    puzzleIndex: Int32Array.from(rows, (r) => r.puzzle),
    groupIndex: Int32Array.from(rows, (r) => r.group),
    seqLen: S,
    vocabSize: shape.vocabSize,
    ignoreLabelId: shape.ignoreLabelId,
    numPuzzleIdentifiers: ids.size,
  };
  rows.forEach((r, i) => {
    split.inputs.set(r.inputs, i * S);
    split.labels.set(r.labels, i * S);
  });
  indexSplit(split, `configs/${cfg.name}.json train split`); // checks the layout, names the field and row
  return split;
}

/** The engine's arch for this config and split (the train stage's mapping). */
export function archOf(cfg: BenchConfig, split: EncodedSplit): ArchConfig {
  return archConfig(cfg, { seq_len: split.seqLen, vocab_size: split.vocabSize, num_puzzle_identifiers: split.numPuzzleIdentifiers });
}

/**
 * The train stage's TrainConfig for this config, with enough epochs for `steps` updates: a soak runs far past the
 * config's own max_steps.
 */
export function trainConfigFor(cfg: BenchConfig, split: EncodedSplit, steps: number): TrainConfig {
  const t = trainConfig(cfg);
  const index = indexSplit(split);
  const perEpoch = (index.numGroups * index.meanPuzzleExamples) / t.global_batch_size;
  return { ...t, epochs: Math.ceil(steps / perEpoch) + 1 };
}
