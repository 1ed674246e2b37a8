// Example grids drawn by the dataset lib: input, prediction (wrong cells marked), target, and the prediction after
// each supervision step. Prediction, target and steps pass the puzzle's givens, so a lib that draws givens apart
// (Sudoku) shows which cells the model filled in.
import type { DatasetLib, Grid } from '@trm/dataset';
import type { ExampleView } from './types.ts';

/** Cells of `pred` that differ from `target` at the same (row, col), or lie outside it. */
export function wrongCells(pred: Grid, target: Grid): Uint8Array {
  const wrong = new Uint8Array(pred.rows * pred.cols);
  for (let r = 0; r < pred.rows; r++) {
    for (let c = 0; c < pred.cols; c++) {
      const i = r * pred.cols + c;
      const inside = r < target.rows && c < target.cols;
      wrong[i] = inside && target.cells[r * target.cols + c] === pred.cells[i] ? 0 : 1;
    }
  }
  return wrong;
}

/**
 * The givens of a puzzle: cells that are filled in the input (not 0, the blank of the grid alphabets that have one)
 * and that the target keeps. A cell the target changes is part of the answer, not a given. All zeros when input and
 * target differ in shape (nothing is copied cell for cell).
 */
export function givenCells(input: Grid, target: Grid): Uint8Array {
  const given = new Uint8Array(target.rows * target.cols);
  if (input.rows !== target.rows || input.cols !== target.cols) return given;
  for (let i = 0; i < given.length; i++) given[i] = input.cells[i] !== 0 && input.cells[i] === target.cells[i] ? 1 : 0;
  return given;
}

/** Number of differing cells, counting a shape mismatch as every cell of the larger extent. */
export function countWrong(pred: Grid, target: Grid): number {
  if (pred.rows !== target.rows || pred.cols !== target.cols) {
    return Math.max(pred.rows, target.rows) * Math.max(pred.cols, target.cols);
  }
  let n = 0;
  for (let i = 0; i < pred.cells.length; i++) if (pred.cells[i] !== target.cells[i]) n++;
  return n;
}

/** Cell size that draws a grid about `px` pixels wide. */
export function cellSizeFor(grid: Grid, px: number): number {
  return Math.max(3, Math.floor(px / Math.max(1, grid.rows, grid.cols)));
}

export interface DrawnExample {
  view: ExampleView;
  input: Grid;
  target: Grid;
  pred: Grid;
  wrong: number;
  /** relative image paths */
  images: { input: string; pred: string; target: string };
  /** per supervision step: image path, the decoded grid and its wrong-cell count */
  steps: { image: string; grid: Grid; wrong: number }[];
}

/** Decode and draw the examples; adds their SVG files to `files`. */
export function drawExamples(
  dataset: DatasetLib, encodeCfg: Record<string, unknown>, views: ExampleView[], files: Record<string, string>,
): DrawnExample[] {
  return views.map((view) => {
    const input = dataset.decode(view.inputs, encodeCfg);
    const target = dataset.decode(view.labels, encodeCfg);
    const pred = dataset.decode(view.preds, encodeCfg);
    const size = cellSizeFor(target, 220);
    const base = `img/example-${view.index}`;
    const images = { input: `${base}-input.svg`, pred: `${base}-pred.svg`, target: `${base}-target.svg` };
    const given = givenCells(input, target);
    // a grid of another shape than the target's has no cell-for-cell givens
    const givens = (grid: Grid) => (grid.rows === target.rows && grid.cols === target.cols ? given : undefined);
    files[images.input] = dataset.renderSvg(input, { cellSize: cellSizeFor(input, 220) });
    files[images.target] = dataset.renderSvg(target, { cellSize: size, givens: given });
    files[images.pred] = dataset.renderSvg(pred, { cellSize: cellSizeFor(pred, 220), wrong: wrongCells(pred, target), givens: givens(pred) });
    const steps = view.trajectory.map((tokens, s) => {
      const grid = dataset.decode(tokens, encodeCfg);
      const image = `${base}-step-${s + 1}.svg`;
      files[image] = dataset.renderSvg(grid, { cellSize: cellSizeFor(grid, 110), wrong: wrongCells(grid, target), givens: givens(grid) });
      return { image, grid, wrong: countWrong(grid, target) };
    });
    return { view, input, target, pred, wrong: countWrong(pred, target), images, steps };
  });
}
