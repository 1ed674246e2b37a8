// Exact Sudoku solver: bitmask backtracking, choosing the cell with the fewest candidates (MRV).
import type { BoardSpec } from './board.ts';
import type { Rng } from '@trm/augment';

export interface SolveResult {
  /** number of solutions found, capped at `limit` */
  count: number;
  /** the first solution found (null when there is none) */
  solution: Uint8Array | null;
  /** dead ends (cells left without candidates) met before the first solution: the difficulty rating */
  backtracks: number;
}

const POPCOUNT = new Uint8Array(1 << 9);
for (let m = 1; m < POPCOUNT.length; m++) POPCOUNT[m] = POPCOUNT[m >> 1] + (m & 1);
const BIT_DIGIT = new Uint8Array(1 << 9); // lowest set bit of a single-bit mask -> digit
for (let d = 1; d <= 9; d++) BIT_DIGIT[1 << (d - 1)] = d;

/**
 * Count the solutions of `cells` (0 = blank) up to `limit` (default 2: enough to tell 0, 1 and "several").
 * Givens that already clash give count 0. With `rng`, candidates are tried in random order (used to fill
 * random complete grids); without it the search order is fixed, so `backtracks` is a deterministic rating.
 * `exclude` forbids one digit in one (blank) cell: "is there a solution other than the one with that digit?".
 */
export function solve(cells: Uint8Array, spec: BoardSpec, limit = 2, rng?: Rng, exclude?: { cell: number; digit: number }): SolveResult {
  const { n, rowOf, colOf, boxOf, full } = spec;
  const grid = Uint8Array.from(cells);
  const rowUsed = new Int32Array(n);
  const colUsed = new Int32Array(n);
  const boxUsed = new Int32Array(n);
  const empties = new Int32Array(spec.cells);
  let numEmpty = 0;
  for (let i = 0; i < spec.cells; i++) {
    const d = grid[i];
    if (d === 0) { empties[numEmpty++] = i; continue; }
    if (d > n) return { count: 0, solution: null, backtracks: 0 };
    const bit = 1 << (d - 1);
    if ((rowUsed[rowOf[i]] | colUsed[colOf[i]] | boxUsed[boxOf[i]]) & bit) return { count: 0, solution: null, backtracks: 0 };
    rowUsed[rowOf[i]] |= bit;
    colUsed[colOf[i]] |= bit;
    boxUsed[boxOf[i]] |= bit;
  }

  const exCell = exclude ? exclude.cell : -1;
  const exMask = exclude ? ~(1 << (exclude.digit - 1)) : -1;
  let count = 0;
  let solution: Uint8Array | null = null;
  let backtracks = 0;

  const search = (depth: number): boolean => {
    if (depth === numEmpty) {
      count++;
      if (count === 1) solution = grid.slice();
      return count >= limit;
    }
    // MRV: the empty cell with the fewest candidates, moved to position `depth`.
    let best = depth;
    let bestMask = 0;
    let bestCount = 99;
    for (let k = depth; k < numEmpty; k++) {
      const i = empties[k];
      let mask = full & ~(rowUsed[rowOf[i]] | colUsed[colOf[i]] | boxUsed[boxOf[i]]);
      if (i === exCell) mask &= exMask;
      const c = POPCOUNT[mask];
      if (c < bestCount) {
        best = k;
        bestMask = mask;
        bestCount = c;
        if (c <= 1) break;
      }
    }
    if (bestCount === 0) {
      if (count === 0) backtracks++;
      return false;
    }
    const cell = empties[best];
    empties[best] = empties[depth];
    empties[depth] = cell;
    const r = rowOf[cell];
    const c = colOf[cell];
    const b = boxOf[cell];
    let digits: Int32Array | null = null;
    if (rng && bestCount > 1) {
      digits = new Int32Array(bestCount);
      let m = bestMask;
      for (let k = 0; m; k++) { const bit = m & -m; m ^= bit; digits[k] = bit; }
      rng.shuffle(digits);
    }
    let m = bestMask;
    for (let k = 0; k < bestCount; k++) {
      let bit: number;
      if (digits) bit = digits[k];
      else { bit = m & -m; m ^= bit; }
      grid[cell] = BIT_DIGIT[bit];
      rowUsed[r] |= bit;
      colUsed[c] |= bit;
      boxUsed[b] |= bit;
      const stop = search(depth + 1);
      rowUsed[r] ^= bit;
      colUsed[c] ^= bit;
      boxUsed[b] ^= bit;
      grid[cell] = 0;
      if (stop) return true;
    }
    return false;
  };
  search(0);
  return { count, solution, backtracks };
}

/** True when `cells` is a completed grid: every row, column and box holds each digit 1..n once. */
export function isValidSolution(cells: Uint8Array, spec: BoardSpec): boolean {
  if (cells.length !== spec.cells) return false;
  const { n, rowOf, colOf, boxOf } = spec;
  const rowUsed = new Int32Array(n);
  const colUsed = new Int32Array(n);
  const boxUsed = new Int32Array(n);
  for (let i = 0; i < spec.cells; i++) {
    const d = cells[i];
    if (d < 1 || d > n) return false;
    const bit = 1 << (d - 1);
    if ((rowUsed[rowOf[i]] | colUsed[colOf[i]] | boxUsed[boxOf[i]]) & bit) return false;
    rowUsed[rowOf[i]] |= bit;
    colUsed[colOf[i]] |= bit;
    boxUsed[boxOf[i]] |= bit;
  }
  return true;
}

/** True when every given (non-zero) cell of `puzzle` has the same digit in `solution`. */
export function respectsGivens(puzzle: Uint8Array, solution: Uint8Array): boolean {
  if (puzzle.length !== solution.length) return false;
  for (let i = 0; i < puzzle.length; i++) if (puzzle[i] !== 0 && puzzle[i] !== solution[i]) return false;
  return true;
}
