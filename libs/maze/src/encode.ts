import type { DatasetShape, EncodedExample, Grid, RawExample } from '@trm/dataset';
import { CELL_CHARS, NUM_CELL_KINDS } from './cells.ts';

// Token layout: the maze at the top-left of a rows x cols canvas, token = cell + 1, PAD (0) elsewhere.
// The reference layout (30x30 mazes on a 30x30 canvas) has no PAD at all.

export interface Canvas {
  rows: number;
  cols: number;
}

export function mazeShape(canvas: Canvas): DatasetShape {
  return {
    vocabSize: NUM_CELL_KINDS + 1,
    seqLen: canvas.rows * canvas.cols,
    padId: 0,
    ignoreLabelId: 0,
    tokenNames: ['<pad>', ...CELL_CHARS],
  };
}

export function gridToTokens(grid: Grid, canvas: Canvas, what: string): Uint8Array {
  if (grid.rows > canvas.rows || grid.cols > canvas.cols) {
    throw new Error(`maze encode: ${what} is ${grid.rows}x${grid.cols}, larger than the ${canvas.rows}x${canvas.cols} canvas (encode.rows/cols)`);
  }
  const tokens = new Uint8Array(canvas.rows * canvas.cols);
  for (let r = 0; r < grid.rows; r++) {
    for (let c = 0; c < grid.cols; c++) tokens[r * canvas.cols + c] = grid.cells[r * grid.cols + c] + 1;
  }
  return tokens;
}

export function encodeExample(example: RawExample, canvas: Canvas): EncodedExample {
  if (!example.output) throw new Error('maze encode: example without an answer (every maze needs its solved path)');
  return { inputs: gridToTokens(example.input, canvas, 'input'), labels: gridToTokens(example.output, canvas, 'output') };
}

/** Extent of the maze on a canvas: the non-PAD rows of column 0 and the non-PAD columns of row 0. */
export function mazeExtent(tokens: Uint8Array, canvas: Canvas): { rows: number; cols: number } {
  let rows = 0;
  while (rows < canvas.rows && tokens[rows * canvas.cols] !== 0) rows++;
  let cols = 0;
  while (cols < canvas.cols && tokens[cols] !== 0) cols++;
  return { rows, cols };
}

/**
 * Tokens back to a grid of size `extent` (default: the extent found in the tokens). Tokens outside 1..5
 * (PAD or out of vocabulary inside the maze) are returned as cell value 255, which no maze cell has.
 */
export function tokensToGrid(tokens: Uint8Array, canvas: Canvas, extent = mazeExtent(tokens, canvas)): Grid {
  if (tokens.length !== canvas.rows * canvas.cols) {
    throw new Error(`maze decode: expected ${canvas.rows * canvas.cols} tokens (encode.rows x encode.cols), got ${tokens.length}`);
  }
  const cells = new Uint8Array(extent.rows * extent.cols);
  for (let r = 0; r < extent.rows; r++) {
    for (let c = 0; c < extent.cols; c++) {
      const t = tokens[r * canvas.cols + c];
      cells[r * extent.cols + c] = t >= 1 && t <= NUM_CELL_KINDS ? t - 1 : INVALID_CELL;
    }
  }
  return { rows: extent.rows, cols: extent.cols, cells };
}

export const INVALID_CELL = 255;
