// Sudoku task metrics on top of exact/token accuracy.
import type { ExamplePrediction, TaskEvaluation } from '@trm/dataset';
import { specForCells } from './board.ts';
import { isValidSolution, respectsGivens } from './solver.ts';

/**
 * - valid_solution_rate: predictions that are completed valid grids keeping every given (even if they differ from
 *   the label: some puzzles have several solutions).
 * - givens_kept_rate: predictions that copy every given.
 * - blank_cell_accuracy: accuracy over the cells that were blank in the puzzle.
 * - count: examples evaluated.
 */
export function evaluateSudoku(preds: ExamplePrediction[]): TaskEvaluation {
  if (preds.length === 0) return { metrics: { count: 0 } };
  const cellCount = preds[0].inputs.length;
  const spec = specForCells(cellCount, 'sudoku evaluate');
  const puzzle = new Uint8Array(cellCount);
  const grid = new Uint8Array(cellCount);
  let valid = 0;
  let kept = 0;
  let blankRight = 0;
  let blankTotal = 0;
  for (const p of preds) {
    if (p.inputs.length !== cellCount || p.preds.length !== cellCount || p.labels.length !== cellCount) {
      throw new Error(`sudoku evaluate: example ${p.index} has ${p.preds.length} predicted tokens, expected ${cellCount}`);
    }
    for (let i = 0; i < cellCount; i++) {
      puzzle[i] = p.inputs[i] >= 2 ? p.inputs[i] - 1 : 0; // token 1 = blank
      grid[i] = p.preds[i] >= 2 ? p.preds[i] - 1 : 0; // PAD or blank predicted: not a digit
      if (puzzle[i] === 0) {
        blankTotal++;
        if (p.preds[i] === p.labels[i]) blankRight++;
      }
    }
    const keepsGivens = respectsGivens(puzzle, grid);
    if (keepsGivens) kept++;
    if (keepsGivens && isValidSolution(grid, spec)) valid++;
  }
  return {
    metrics: {
      count: preds.length,
      valid_solution_rate: valid / preds.length,
      givens_kept_rate: kept / preds.length,
      blank_cell_accuracy: blankTotal ? blankRight / blankTotal : 1,
    },
  };
}
