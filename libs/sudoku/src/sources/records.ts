// What every source produces before it becomes RawPuzzles: question/answer digit grids with provenance.
import { createRng, deriveSeed } from '@trm/augment';
import type { RawPuzzle } from '@trm/dataset';
import type { BoardSpec } from '../board.ts';
import { isValidSolution, respectsGivens } from '../solver.ts';

export interface SudokuRecord {
  /** n*n digits, 0 = blank */
  question: Uint8Array;
  /** n*n digits, the completed grid */
  answer: Uint8Array;
  rating?: number;
  source: string;
}

/** Problems with an answer, as an error text (null when fine). */
export function answerProblem(question: Uint8Array, answer: Uint8Array, spec: BoardSpec): string | null {
  if (!isValidSolution(answer, spec)) return `answer is not a completed ${spec.n}x${spec.n} Sudoku (a row, column or box repeats a digit)`;
  if (!respectsGivens(question, answer)) return 'answer contradicts a given of the question';
  return null;
}

/** Indices of `k` of `m` items drawn without replacement, ascending; all when k is undefined or >= m. */
export function subsampleIndices(m: number, k: number | undefined, seed: number, split: string): Int32Array {
  if (k === undefined || k >= m) return Int32Array.from({ length: m }, (_, i) => i);
  const rng = createRng(deriveSeed(seed, 'sudoku-subsample', split));
  const idx = Int32Array.from({ length: m }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(m - i);
    const tmp = idx[i];
    idx[i] = idx[j];
    idx[j] = tmp;
  }
  return idx.subarray(0, k).sort();
}

export function toRawPuzzle(rec: SudokuRecord, split: 'train' | 'test', index: number, spec: BoardSpec): RawPuzzle {
  const { n } = spec;
  const puzzle: RawPuzzle = {
    id: `${split}-${String(index).padStart(6, '0')}`,
    split,
    examples: [{ input: { rows: n, cols: n, cells: rec.question }, output: { rows: n, cols: n, cells: rec.answer }, role: 'test' }],
    source: rec.source,
  };
  if (rec.rating !== undefined) puzzle.rating = rec.rating;
  return puzzle;
}
