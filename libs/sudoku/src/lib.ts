// The Sudoku DatasetLib: what the pipeline calls.
import type { DatasetLib, DatasetShape, EncodedExample, Grid, RawExample } from '@trm/dataset';
import { augmentGroups } from './augment.ts';
import { boardSpec } from './board.ts';
import { readAugmentConfig, readFetchConfig, readSize, schema } from './config.ts';
import { evaluateSudoku } from './evaluate.ts';
import { fetchPuzzles } from './fetch.ts';
import { renderSvg, renderText } from './render.ts';
import { sudokuSolving } from './solving.ts';
import { invertTransform, parseTransform } from './transform.ts';

/** Token layout: PAD 0, blank 1, digit d -> d + 1; vocab n + 2; labels never use PAD (ignore id 0). */
export function sudokuShape(size: number): DatasetShape {
  const n = boardSpec(size).n;
  return {
    vocabSize: n + 2,
    seqLen: n * n,
    padId: 0,
    ignoreLabelId: 0,
    tokenNames: ['<pad>', '.', ...Array.from({ length: n }, (_, i) => String(i + 1))],
  };
}

/** Tokens of a grid (digit + 1) written into `out` at `offset`, checking the size and the digits. */
function encodeGrid(grid: Grid, n: number, what: string, allowBlank: boolean, out: Uint8Array, offset: number): void {
  if (grid.rows !== n || grid.cols !== n || grid.cells.length !== n * n) {
    throw new Error(`sudoku encode: ${what} is ${grid.rows}x${grid.cols}, encode.size is ${n}`);
  }
  const cells = grid.cells;
  const min = allowBlank ? 0 : 1;
  for (let i = 0; i < cells.length; i++) {
    const d = cells[i];
    if (d > n || d < min) throw new Error(`sudoku encode: ${what} cell ${i} holds ${d}, expected ${min}..${n}`);
    out[offset + i] = d + 1;
  }
}

export const sudoku: DatasetLib = {
  name: 'sudoku',
  description: 'Sudoku (4x4, 6x6, 8x8, 9x9): generated, Sudoku-Extreme (Hugging Face), CSV, tdoku lists or reference .npy; digit/band/stack/transpose augmentation',
  schema,
  shape: (encode) => sudokuShape(readSize(encode, 'encode')),
  fetch: async (cfg, io) => fetchPuzzles(readFetchConfig(cfg), io),
  augment(puzzles, cfg, seed, split) {
    const size = puzzles[0]?.examples[0]?.input.rows ?? 9;
    return augmentGroups(puzzles, boardSpec(size), readAugmentConfig(cfg), seed, split);
  },
  inverse(grid, transform) {
    const spec = boardSpec(grid.rows);
    return { rows: grid.rows, cols: grid.cols, cells: invertTransform(grid.cells, parseTransform(transform, spec), spec) };
  },
  encode(example: RawExample, cfg): EncodedExample {
    const n = readSize(cfg, 'encode');
    if (!example.output) throw new Error('sudoku encode: the example has no answer (every Sudoku example needs one)');
    // one buffer for both: typed arrays over 64 bytes get an off-heap store each, the views share one
    const cells = n * n;
    const buf = new Uint8Array(2 * cells);
    encodeGrid(example.input, n, 'input', true, buf, 0);
    encodeGrid(example.output, n, 'output', false, buf, cells);
    return { inputs: buf.subarray(0, cells), labels: buf.subarray(cells) };
  },
  decode(tokens, cfg) {
    const n = readSize(cfg, 'encode');
    if (tokens.length !== n * n) throw new Error(`sudoku decode: ${tokens.length} tokens, expected ${n * n} for encode.size ${n}`);
    const cells = new Uint8Array(n * n);
    for (let i = 0; i < cells.length; i++) {
      const t = tokens[i];
      if (t > n + 1) throw new Error(`sudoku decode: token ${t} at ${i} is outside the vocabulary 0..${n + 1}`);
      cells[i] = t >= 2 ? t - 1 : 0; // PAD and blank decode to an empty cell
    }
    return { rows: n, cols: n, cells };
  },
  renderText,
  renderSvg,
  evaluate: (preds) => evaluateSudoku(preds),
  solving: sudokuSolving,
};
