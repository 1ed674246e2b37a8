// Puzzle generator: a random complete grid, then givens removed in random order while the solution stays unique.
import { createRng, deriveSeed } from '@trm/augment';
import type { Rng } from '@trm/augment';
import type { BoardSpec } from './board.ts';
import { solve } from './solver.ts';

export interface GeneratedPuzzle {
  /** n*n digits, 0 = blank; a minimal puzzle (removing any given makes the solution ambiguous) */
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

/** One minimal puzzle with a unique solution. */
export function generatePuzzle(spec: BoardSpec, rng: Rng): GeneratedPuzzle {
  const solution = randomSolvedGrid(spec, rng);
  const puzzle = solution.slice();
  const order = rng.permutation(spec.cells);
  for (let k = 0; k < order.length; k++) {
    const i = order[k];
    const digit = puzzle[i];
    puzzle[i] = 0;
    // the puzzle had one solution; without this given, any other solution differs exactly at cell i,
    // so one search with `digit` forbidden at i decides uniqueness (cheaper than counting to 2)
    if (solve(puzzle, spec, 1, undefined, { cell: i, digit }).count !== 0) puzzle[i] = digit;
  }
  return { puzzle, solution, rating: solve(puzzle, spec, 1).backtracks };
}

/** Stream of generated puzzles for a seed; `minRating` filters by difficulty. Infinite: the caller stops. */
export function* generatePuzzles(spec: BoardSpec, seed: number, minRating = 0): Generator<GeneratedPuzzle> {
  const rng = createRng(deriveSeed(seed, 'sudoku-generator', spec.n));
  for (;;) {
    const p = generatePuzzle(spec, rng);
    if (p.rating >= minRating) yield p;
  }
}
