// fetch: every source -> RawPuzzles of both splits, seeded, with test puzzles equivalent to a train puzzle removed.
import type { RawPuzzle, SourceIO } from '@trm/dataset';
import { boardSpec } from './board.ts';
import type { BoardSpec } from './board.ts';
import { CanonicalSet } from './canonical.ts';
import type { FetchConfig } from './config.ts';
import { generatePuzzles } from './generator.ts';
import { readSudokuCsv } from './sources/csv.ts';
import { subsampleIndices, toRawPuzzle } from './sources/records.ts';
import type { SudokuRecord } from './sources/records.ts';
import { readReferenceSplit } from './sources/reference-npy.ts';
import { readTdokuList } from './sources/tdoku.ts';

type Split = 'train' | 'test';
type Splits = Record<Split, SudokuRecord[]>;

/**
 * The default dataset, pinned: a commit of sapientinc/sudoku-extreme and the sha256 of each file at that commit
 * where it is known (train.csv from the Hub's LFS pointer of that commit; test.csv's was not available to us: its
 * first download records it, and later reads are checked against that record).
 */
export const SUDOKU_EXTREME = {
  repo: 'sapientinc/sudoku-extreme',
  revision: '58942f96baeb572ca3127e2a9e9c70f330783d6b',
  sha256: { 'train.csv': '64b46674db0148e0d73a16346dadeb2b1c00824d3fca3f85b2ae7037f6b4b38e' } as Record<string, string>,
};

/** hf:// URL of a file of a Hugging Face dataset repository at a revision. */
export function huggingfaceUrl(repo: string, file: string, revision = 'main'): string {
  return `hf://datasets/${repo}@${encodeURIComponent(revision)}/${file}`;
}

/** Revision and expected sha256 of a file: the config's, else the pin of the default repository. */
export function huggingfaceFile(cfg: FetchConfig, split: Split): { url: string; revision: string; sha256?: string; name: string } {
  const file = `${split}.csv`;
  const pinned = cfg.repo === SUDOKU_EXTREME.repo;
  const revision = cfg.revision ?? (pinned ? SUDOKU_EXTREME.revision : 'main');
  const sha256 = (split === 'train' ? cfg.trainSha256 : cfg.testSha256) ?? (pinned && revision === SUDOKU_EXTREME.revision ? SUDOKU_EXTREME.sha256[file] : undefined);
  const name = `${cfg.repo.replace('/', '__')}__${revision.slice(0, 12)}__${file}`;
  return { url: huggingfaceUrl(cfg.repo, file, revision), revision, sha256, name };
}

const OFFLINE_HINT = 'without network, put the CSV files on disk and use fetch.source=csv with fetch.train_files/test_files (it reads the same question,answer,rating columns), or point HF_ENDPOINT at a mirror';

function fromGenerator(cfg: FetchConfig, spec: BoardSpec): Splits {
  const wanted = cfg.trainSize + cfg.testSize;
  const maxAttempts = cfg.maxAttempts ?? 100 * wanted + 1000;
  const seen = new CanonicalSet(spec);
  const out: Splits = { train: [], test: [] };
  let attempts = 0;
  const stream = generatePuzzles(spec, cfg.seed, 0, cfg.maxBlanks);
  while (out.train.length + out.test.length < wanted) {
    if (attempts >= maxAttempts) {
      throw new Error(
        `sudoku generator: found ${out.train.length + out.test.length} of ${wanted} puzzles (train_size ${cfg.trainSize} + test_size ${cfg.testSize}) ` +
          `with rating >= ${cfg.minRating}${cfg.dedupe ? ', distinct up to symmetry,' : ''} after ${attempts} attempts; ` +
          `lower the sizes or min_rating, or raise fetch.max_attempts (small boards have few distinct puzzles)`,
      );
    }
    attempts++;
    const p = stream.next().value!;
    if (p.rating < cfg.minRating) continue;
    if (cfg.dedupe && !seen.add(p.puzzle, p.solution)) continue;
    const split: Split = out.train.length < cfg.trainSize ? 'train' : 'test';
    out[split].push({ question: p.puzzle, answer: p.solution, rating: p.rating, source: 'generator' });
  }
  return out;
}

async function fromFiles(cfg: FetchConfig, io: SourceIO, spec: BoardSpec, split: Split, paths: string[]): Promise<SudokuRecord[]> {
  const all: SudokuRecord[] = [];
  for (const path of paths) {
    if (cfg.source === 'tdoku') {
      all.push(...(await readTdokuList(io, path, spec, { name: path, onInvalid: cfg.onInvalid, log: (m) => io.log(m) })));
    } else {
      all.push(...(await readSudokuCsv(io, path, spec, { name: path, minRating: cfg.minRating, seed: cfg.seed, split, checkUnique: true })));
    }
  }
  return all.filter((r) => r.rating === undefined || r.rating >= cfg.minRating);
}

async function fromSource(cfg: FetchConfig, io: SourceIO, spec: BoardSpec): Promise<Splits> {
  switch (cfg.source) {
    case 'generator':
      return fromGenerator(cfg, spec);
    case 'huggingface': {
      if (spec.n !== 9) throw new Error(`fetch.size: ${cfg.repo} holds 9x9 puzzles, got size ${spec.n}`);
      const out: Splits = { train: [], test: [] };
      for (const split of ['train', 'test'] as const) {
        const file = `${split}.csv`;
        const hf = huggingfaceFile(cfg, split);
        const local = await io.download(hf.url, { name: hf.name, sha256: hf.sha256, hint: OFFLINE_HINT });
        const subsample = split === 'train' ? cfg.subsampleSize : cfg.testSubsampleSize;
        // the rating filter and subsampling happen inside the reader so that only the chosen rows are decoded
        // (no uniqueness check: the published files are unique by construction, and the test file holds 423k puzzles)
        out[split] = await readSudokuCsv(io, local, spec, { name: `hf:${cfg.repo}/${file}`, minRating: cfg.minRating, subsample, seed: cfg.seed, split });
      }
      return out;
    }
    case 'csv':
    case 'tdoku': {
      if (cfg.trainFiles.length + cfg.testFiles.length === 0) throw new Error(`fetch.train_files/test_files: the ${cfg.source} source needs at least one file`);
      for (const [split, files] of [['train', cfg.trainFiles], ['test', cfg.testFiles]] as const) {
        if (files.length === 0) io.log(`sudoku fetch: no ${split} files (fetch.${split}_files is empty): the ${split} split is empty`);
      }
      return { train: await fromFiles(cfg, io, spec, 'train', cfg.trainFiles), test: await fromFiles(cfg, io, spec, 'test', cfg.testFiles) };
    }
    case 'reference-npy': {
      if (!cfg.path) throw new Error('fetch.path: the reference-npy source needs the folder the reference builder wrote');
      const train = await readReferenceSplit(io, cfg.path, 'train', spec);
      const test = await readReferenceSplit(io, cfg.path, 'test', spec);
      if (!train && !test) throw new Error(`fetch.path: ${cfg.path} has neither train/all__inputs.npy nor test/all__inputs.npy`);
      if (!test) io.log(`${cfg.path}: no test split (test/all__inputs.npy missing): the test split is empty`);
      return { train: train ?? [], test: test ?? [] };
    }
  }
}

/** Seeded subsample of a split; the generator and huggingface sources subsample while reading. */
function subsample(records: SudokuRecord[], k: number | undefined, seed: number, split: Split): SudokuRecord[] {
  return Array.from(subsampleIndices(records.length, k, seed, split), (i) => records[i]);
}

export async function fetchPuzzles(cfg: FetchConfig, io: SourceIO): Promise<RawPuzzle[]> {
  const spec = boardSpec(cfg.size);
  let { train, test } = await fromSource(cfg, io, spec);
  if (cfg.source === 'csv' || cfg.source === 'tdoku' || cfg.source === 'reference-npy') {
    train = subsample(train, cfg.subsampleSize, cfg.seed, 'train');
    test = subsample(test, cfg.testSubsampleSize, cfg.seed, 'test');
  }
  if (cfg.dedupe && cfg.source !== 'generator' && train.length > 0 && test.length > 0) {
    const seen = new CanonicalSet(spec);
    for (const r of train) seen.add(r.question, r.answer);
    const before = test.length;
    test = test.filter((r) => !seen.has(r.question, r.answer));
    if (test.length === 0) {
      // the user gave test puzzles: an empty test split here is a mistake (the same files twice), not train-only data
      throw new Error(`sudoku fetch: all ${before} test puzzles are equivalent to train puzzles (the same puzzle up to a Sudoku symmetry), so the test split would be empty; ` +
        'use test files that differ from the train files, or set fetch.dedupe=false to test on puzzles seen in training');
    }
    if (test.length < before) io.log(`sudoku fetch: dropped ${before - test.length} of ${before} test puzzles equivalent to a train puzzle`);
  }
  return [
    ...train.map((r, i) => toRawPuzzle(r, 'train', i, spec)),
    ...test.map((r, i) => toRawPuzzle(r, 'test', i, spec)),
  ];
}
