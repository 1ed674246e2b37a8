// Puzzle generator: a random complete grid, then givens removed in random order while the solution stays unique.
import { createRng, deriveSeed } from '@trm/augment';
import type { Rng } from '@trm/augment';
import type { BoardSpec } from './board.ts';
import { solve } from './solver.ts';

export interface GeneratedPuzzle {
  /** n*n digits, 0 = blank; a minimal puzzle (removing any given makes the solution ambiguous) unless `maxBlanks` stopped the removal */
  puzzle: Uint8Array;
  solution: Uint8Array;
  /** backtracks of the built-in solver (see `solve`) */
  rating: number;
}

/** A uniformly shuffled complete grid (randomised backtracking on the empty board). */
export function randomSolvedGrid(spec: BoardSpec, rng: Rng): Uint8Array {
  const result = solve(new Uint8Array(spec.cells), spec, 1, rng);
  if (!result.solution) throw new Error(`sudoku generator: no complete ${spec.n}x${spec.n} grid found (cannot happen)`);
  return result.solution;
}

/**
 * One puzzle with a unique solution: minimal, or with at most `maxBlanks` blanks (givens are removed in the same
 * random order and removal stops there; the RNG use is the same, so the stream of solution grids does not change).
 */
export function generatePuzzle(spec: BoardSpec, rng: Rng, maxBlanks = spec.cells): GeneratedPuzzle {
  const solution = randomSolvedGrid(spec, rng);
  const puzzle = solution.slice();
  const order = rng.permutation(spec.cells);
  let blanks = 0;
  for (let k = 0; k < order.length && blanks < maxBlanks; k++) {
    const i = order[k];
    const digit = puzzle[i];
    puzzle[i] = 0;
    // the puzzle had one solution; without this given, any other solution differs exactly at cell i,
    // so one search with `digit` forbidden at i decides uniqueness (cheaper than counting to 2)
    if (solve(puzzle, spec, 1, undefined, { cell: i, digit }).count !== 0) puzzle[i] = digit;
    else blanks++;
  }
  return { puzzle, solution, rating: solve(puzzle, spec, 1).backtracks };
}

/** Stream of generated puzzles for a seed; `minRating` filters by difficulty, `maxBlanks` caps the blanks. Infinite: the caller stops. */
export function* generatePuzzles(spec: BoardSpec, seed: number, minRating = 0, maxBlanks = spec.cells): Generator<GeneratedPuzzle> {
  const rng = createRng(deriveSeed(seed, 'sudoku-generator', spec.n));
  for (;;) {
    const p = generatePuzzle(spec, rng, maxBlanks);
    if (p.rating >= minRating) yield p;
  }
}
