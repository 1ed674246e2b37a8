// A Sudoku config of configs/ as the engine sees it, built through the libs the way the pipeline's fetch ->
// augment -> encode -> train stages do, but in memory (no artifacts): the soak suite trains on it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { sudoku } from '@trm/sudoku';
import { indexSplit, type ArchConfig, type EncodedSplit, type TrainConfig } from '@trm/trm';
import { localSourceIO } from './common.ts';

type Section = Record<string, unknown>;

/** The sections of a config file that building and training need, merged over its `extends` chain. */
export interface BenchConfig {
  name: string;
  dataset: string;
  seed: number;
  fetch: Section;
  augment: Section;
  encode: Section;
  arch: Section;
  train: Section;
  runtime: Section;
}

const CONFIG_DIR = fileURLToPath(new URL('../configs/', import.meta.url));

/** The arch keys configs leave to the schema defaults (apps/pipeline/src/config/sections.ts). */
const ARCH_DEFAULTS = { rope_theta: 10000, rms_norm_eps: 1e-5, no_ACT_continue: true };

const isObject = (v: unknown): v is Section => !!v && typeof v === 'object' && !Array.isArray(v);

function deepMerge(base: Section, over: Section): Section {
  const out: Section = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k] as Section, v) : v;
  return out;
}

function readRaw(name: string, seen: string[]): Section {
  const file = `${CONFIG_DIR}${name}.json`;
  if (seen.includes(name)) throw new Error(`${file}: "extends" cycle: ${[...seen, name].join(' -> ')}`);
  let own: unknown;
  try {
    own = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: cannot read the config (${(err as Error).message})`);
  }
  if (!isObject(own)) throw new Error(`${file}: expected a JSON object`);
  if (own.extends === undefined) return own;
  if (typeof own.extends !== 'string') throw new Error(`${file}: extends = ${JSON.stringify(own.extends)}: expected a config name`);
  const { extends: parent, ...rest } = own;
  return deepMerge(readRaw(parent as string, [...seen, name]), rest);
}

export function loadBenchConfig(name: string): BenchConfig {
  const raw = readRaw(name, []);
  const section = (key: string): Section => (isObject(raw[key]) ? raw[key] : {});
  if (raw.dataset !== 'sudoku') throw new Error(`configs/${name}.json: dataset ${JSON.stringify(raw.dataset)}; the bench builds only sudoku configs`);
  return {
    name, dataset: 'sudoku', seed: typeof raw.seed === 'number' ? raw.seed : 0,
    fetch: section('fetch'), augment: section('augment'), encode: section('encode'), arch: section('arch'), train: section('train'), runtime: section('runtime'),
  };
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

export function archOf(cfg: BenchConfig, split: EncodedSplit): ArchConfig {
  return { ...ARCH_DEFAULTS, ...(cfg.arch as Omit<ArchConfig, 'seq_len' | 'vocab_size' | 'num_puzzle_identifiers'>), seq_len: split.seqLen, vocab_size: split.vocabSize, num_puzzle_identifiers: split.numPuzzleIdentifiers };
}

/**
 * The config's optimiser settings (the engine's TrainConfig keys only), with enough epochs for `steps` updates:
 * a soak runs far past the config's own max_steps.
 */
export function trainConfigFor(cfg: BenchConfig, split: EncodedSplit, steps: number): TrainConfig {
  const t = cfg.train as unknown as TrainConfig;
  const index = indexSplit(split);
  const perEpoch = (index.numGroups * index.meanPuzzleExamples) / t.global_batch_size;
  return {
    global_batch_size: t.global_batch_size, epochs: Math.ceil(steps / perEpoch) + 1, lr: t.lr, lr_min_ratio: t.lr_min_ratio,
    lr_warmup_steps: t.lr_warmup_steps, weight_decay: t.weight_decay, beta1: t.beta1, beta2: t.beta2, puzzle_emb_lr: t.puzzle_emb_lr,
    puzzle_emb_weight_decay: t.puzzle_emb_weight_decay, ema: t.ema, ema_rate: t.ema_rate, micro_batch_size: t.micro_batch_size ?? 0,
  };
}
