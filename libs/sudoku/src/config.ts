// The dataset-owned config keys (schema for the pipeline) and their typed, checked readers.
import type { SectionSchema } from '@trm/dataset';

export const SOURCES = ['generator', 'huggingface', 'csv', 'tdoku', 'reference-npy'] as const;
export type SourceName = (typeof SOURCES)[number];

const size = { type: 'integer', description: 'board side: 4 (2x2 boxes), 6 (2x3), 8 (2x4) or 9 (3x3); fetch.size and encode.size must agree', default: 9, min: 4, max: 9 } as const;

export const schema: { fetch: SectionSchema; augment: SectionSchema; encode: SectionSchema; evaluate: SectionSchema } = {
  fetch: {
    source: { type: 'enum', values: SOURCES, default: 'generator', description: 'generator: built-in unique-solution puzzles; huggingface: sapientinc/sudoku-extreme train.csv/test.csv; csv: local question,answer[,rating,source] files; tdoku: text lists (# comments, one puzzle per line, solved for labels); reference-npy: the reference builder output folder' },
    size,
    seed: { type: 'integer', description: 'seed of generation and subsampling; a key of its own so that runs with different training seeds share one dataset', default: 0, min: 0 },
    train_size: { type: 'integer', description: 'generator: train puzzles', default: 1000, min: 0 },
    test_size: { type: 'integer', description: 'generator: test puzzles', default: 100, min: 0 },
    min_rating: { type: 'integer', description: 'keep puzzles whose rating (solver backtracks; for Sudoku-Extreme the tdoku rating) is at least this; generator and CSV files with a rating column', default: 0, min: 0 },
    max_blanks: { type: 'integer', description: 'generator: stop removing givens once a puzzle has this many blanks (easier, non-minimal puzzles; default: remove until minimal)', min: 1, optional: true },
    max_attempts: { type: 'integer', description: 'generator: give up after this many generated puzzles (default 100 x wanted + 1000)', min: 1, optional: true },
    repo: { type: 'string', description: 'huggingface: dataset repository', default: 'sapientinc/sudoku-extreme' },
    revision: { type: 'string', description: 'huggingface: commit, tag or branch to download (default: the pinned commit of sapientinc/sudoku-extreme; main for another repo)', optional: true },
    train_sha256: { type: 'string', description: 'huggingface: expected sha256 of train.csv (default: the pinned one, for the default repo and revision)', optional: true },
    test_sha256: { type: 'string', description: 'huggingface: expected sha256 of test.csv (default: the pinned one, when known)', optional: true },
    train_files: { type: 'array', items: { type: 'string', description: 'path' }, description: 'csv/tdoku: train files (paths relative to the repo root)', default: [] },
    test_files: { type: 'array', items: { type: 'string', description: 'path' }, description: 'csv/tdoku: test files', default: [] },
    path: { type: 'string', description: 'reference-npy: folder holding train/ and test/ (all__inputs.npy, all__labels.npy, ...)', optional: true },
    subsample_size: { type: 'integer', description: 'keep this many train puzzles, drawn without replacement (seeded), as the reference builder', min: 1, optional: true },
    test_subsample_size: { type: 'integer', description: 'keep this many test puzzles (seeded)', min: 1, optional: true },
    dedupe: { type: 'boolean', description: 'drop test puzzles equivalent to a train puzzle under the augmentation group (and, for the generator, all duplicates)', default: true },
    on_invalid: { type: 'enum', values: ['error', 'skip'], default: 'error', description: 'tdoku: puzzles with 0 or several solutions stop the fetch (error) or are dropped with a count (skip)' },
  },
  augment: {
    num_aug: { type: 'integer', description: 'augmented copies per train puzzle, the original kept first (reference: 1000); the test split is never augmented', default: 0, min: 0 },
    transpose: { type: 'boolean', description: 'include the transpose (only for square boxes: 4x4, 9x9)', default: true },
  },
  encode: { size },
  evaluate: {},
};

export interface FetchConfig {
  source: SourceName;
  size: number;
  seed: number;
  trainSize: number;
  testSize: number;
  minRating: number;
  maxBlanks: number | undefined;
  maxAttempts: number | undefined;
  repo: string;
  revision: string | undefined;
  trainSha256: string | undefined;
  testSha256: string | undefined;
  trainFiles: string[];
  testFiles: string[];
  path: string | undefined;
  subsampleSize: number | undefined;
  testSubsampleSize: number | undefined;
  dedupe: boolean;
  onInvalid: 'error' | 'skip';
}

function int(cfg: Record<string, unknown>, section: string, key: string, fallback: number | undefined, min: number): number | undefined {
  const v = cfg[key] ?? fallback;
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new Error(`${section}.${key}: expected an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

function files(cfg: Record<string, unknown>, key: string): string[] {
  const v = cfg[key] ?? [];
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.some((x) => typeof x !== 'string')) throw new Error(`fetch.${key}: expected a list of file paths, got ${JSON.stringify(v)}`);
  return list as string[];
}

export function readFetchConfig(cfg: Record<string, unknown>): FetchConfig {
  const source = (cfg.source ?? 'generator') as SourceName;
  if (!SOURCES.includes(source)) throw new Error(`fetch.source: expected one of ${SOURCES.join(', ')}, got ${JSON.stringify(cfg.source)}`);
  const onInvalid = cfg.on_invalid ?? 'error';
  if (onInvalid !== 'error' && onInvalid !== 'skip') throw new Error(`fetch.on_invalid: expected "error" or "skip", got ${JSON.stringify(onInvalid)}`);
  const repo = cfg.repo ?? 'sapientinc/sudoku-extreme';
  if (typeof repo !== 'string' || !/^[\w.-]+\/[\w.-]+$/.test(repo)) throw new Error(`fetch.repo: expected "owner/name", got ${JSON.stringify(repo)}`);
  if (cfg.path !== undefined && typeof cfg.path !== 'string') throw new Error(`fetch.path: expected a folder path, got ${JSON.stringify(cfg.path)}`);
  const text = (key: string, re: RegExp, what: string): string | undefined => {
    const v = cfg[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !re.test(v)) throw new Error(`fetch.${key}: expected ${what}, got ${JSON.stringify(v)}`);
    return v;
  };
  const dedupe = cfg.dedupe ?? true;
  if (typeof dedupe !== 'boolean') throw new Error(`fetch.dedupe: expected true or false, got ${JSON.stringify(dedupe)}`);
  return {
    source,
    size: readSize(cfg, 'fetch'),
    seed: int(cfg, 'fetch', 'seed', 0, 0)!,
    trainSize: int(cfg, 'fetch', 'train_size', 1000, 0)!,
    testSize: int(cfg, 'fetch', 'test_size', 100, 0)!,
    minRating: int(cfg, 'fetch', 'min_rating', 0, 0)!,
    maxBlanks: int(cfg, 'fetch', 'max_blanks', undefined, 1),
    maxAttempts: int(cfg, 'fetch', 'max_attempts', undefined, 1),
    repo,
    revision: text('revision', /^[\w./-]+$/, 'a commit, tag or branch name'),
    trainSha256: text('train_sha256', /^[0-9a-fA-F]{64}$/, '64 hex digits')?.toLowerCase(),
    testSha256: text('test_sha256', /^[0-9a-fA-F]{64}$/, '64 hex digits')?.toLowerCase(),
    trainFiles: files(cfg, 'train_files'),
    testFiles: files(cfg, 'test_files'),
    path: cfg.path as string | undefined,
    subsampleSize: int(cfg, 'fetch', 'subsample_size', undefined, 1),
    testSubsampleSize: int(cfg, 'fetch', 'test_subsample_size', undefined, 1),
    dedupe,
    onInvalid,
  };
}

export function readSize(cfg: Record<string, unknown>, section: string): number {
  const v = cfg.size ?? 9;
  if (v !== 4 && v !== 6 && v !== 8 && v !== 9) throw new Error(`${section}.size: expected 4, 6, 8 or 9 (board side), got ${JSON.stringify(v)}`);
  return v;
}

export function readAugmentConfig(cfg: Record<string, unknown>): { numAug: number; transpose: boolean } {
  const numAug = int(cfg, 'augment', 'num_aug', 0, 0)!;
  const transpose = cfg.transpose ?? true;
  if (typeof transpose !== 'boolean') throw new Error(`augment.transpose: expected true or false, got ${JSON.stringify(transpose)}`);
  return { numAug, transpose };
}
