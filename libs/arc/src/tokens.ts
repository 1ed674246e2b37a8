import type { DatasetShape, EncodedExample, Grid, RawExample } from '@trm/dataset';

// Token layout of the reference builder: PAD 0, EOS 1, colours 0..9 -> 2..11, every grid in a 30x30 canvas
// with an EOS row under it and an EOS column right of it (where they fit).

export const CANVAS = 30;
export const SEQ_LEN = CANVAS * CANVAS;
export const PAD = 0;
export const EOS = 1;
export const COLOUR_OFFSET = 2;
export const NUM_COLOURS = 10;
export const VOCAB_SIZE = NUM_COLOURS + 2;
export const TOKEN_NAMES: readonly string[] = ['PAD', 'EOS', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

export const ARC_SHAPE: DatasetShape = {
  vocabSize: VOCAB_SIZE,
  seqLen: SEQ_LEN,
  padId: 0,
  ignoreLabelId: 0,
  tokenNames: TOKEN_NAMES,
};

/** Write `grid` (colours) into a fresh 900-token canvas at (row, col), with its EOS row and column. */
export function gridToCanvas(grid: Grid, row = 0, col = 0): Uint8Array {
  const { rows, cols, cells } = grid;
  if (row < 0 || col < 0 || row + rows > CANVAS || col + cols > CANVAS) {
    throw new RangeError(`arc: a ${rows}x${cols} grid at offset (${row}, ${col}) does not fit the ${CANVAS}x${CANVAS} canvas`);
  }
  const out = new Uint8Array(SEQ_LEN); // [30*30]
  for (let r = 0; r < rows; r++) {
    const base = (row + r) * CANVAS + col;
    for (let c = 0; c < cols; c++) out[base + c] = cells[r * cols + c] + COLOUR_OFFSET;
  }
  const eosRow = row + rows;
  const eosCol = col + cols;
  if (eosRow < CANVAS) out.fill(EOS, eosRow * CANVAS + col, eosRow * CANVAS + eosCol);
  if (eosCol < CANVAS) for (let r = row; r < eosRow; r++) out[r * CANVAS + eosCol] = EOS;
  return out;
}

/** Encode one example; both grids share the example's offset (translation), as in the reference. */
export function encodeExample(example: RawExample): EncodedExample {
  const row = example.offset?.row ?? 0;
  const col = example.offset?.col ?? 0;
  return {
    inputs: gridToCanvas(example.input, row, col),
    // no answer (ARC test input without solution): all PAD, ignored by the loss
    labels: example.output ? gridToCanvas(example.output, row, col) : new Uint8Array(SEQ_LEN),
  };
}

/**
 * The reference `_crop`: the largest top-left rectangle whose cells are all colour tokens (2..11).
 * Scans rows downwards, shrinking the usable width at the first non-colour token of each row.
 */
export function cropTokens(tokens: Uint8Array): Grid {
  if (tokens.length !== SEQ_LEN) throw new RangeError(`arc: expected ${SEQ_LEN} tokens, got ${tokens.length}`);
  let maxArea = 0;
  let bestRows = 0;
  let bestCols = 0;
  let numCols = CANVAS;
  for (let numRows = 1; numRows <= CANVAS; numRows++) {
    for (let c = 1; c <= numCols; c++) {
      const x = tokens[(numRows - 1) * CANVAS + c - 1];
      if (x < COLOUR_OFFSET || x > COLOUR_OFFSET + NUM_COLOURS - 1) {
        numCols = c - 1;
        break;
      }
    }
    const area = numRows * numCols;
    if (area > maxArea) {
      maxArea = area;
      bestRows = numRows;
      bestCols = numCols;
    }
  }
  const cells = new Uint8Array(bestRows * bestCols);
  for (let r = 0; r < bestRows; r++) {
    for (let c = 0; c < bestCols; c++) cells[r * bestCols + c] = tokens[r * CANVAS + c] - COLOUR_OFFSET;
  }
  return { rows: bestRows, cols: bestCols, cells };
}
