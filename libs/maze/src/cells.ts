import type { Grid } from '@trm/dataset';

// A maze cell in the dataset's own alphabet. Tokens are cell + 1 (PAD = 0), so the characters
// `#`, space, `S`, `G`, `o` become tokens 1..5 as in the reference builder (vocab 6).

export const WALL = 0;
export const OPEN = 1;
export const START = 2;
export const GOAL = 3;
export const PATH = 4;

/** character of each cell value, index = cell */
export const CELL_CHARS = ['#', ' ', 'S', 'G', 'o'] as const;
export const NUM_CELL_KINDS = CELL_CHARS.length;

/** ASCII code -> cell value, 255 = not a maze character */
const CELL_OF_CHAR = new Uint8Array(128).fill(255);
CELL_CHARS.forEach((ch, cell) => (CELL_OF_CHAR[ch.charCodeAt(0)] = cell));

/** Parse one maze string (row-major, length rows*cols); `where` names the file/row/field in errors. */
export function parseMaze(text: string, rows: number, cols: number, where: string): Grid {
  if (text.length !== rows * cols) {
    throw new Error(`${where}: expected ${rows * cols} characters (${rows}x${cols} maze), found ${text.length}`);
  }
  const cells = new Uint8Array(rows * cols);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const cell = code < 128 ? CELL_OF_CHAR[code] : 255;
    if (cell === 255) {
      const r = Math.floor(i / cols);
      const c = i % cols;
      throw new Error(
        `${where}: bad character ${JSON.stringify(text[i])} at offset ${i} (row ${r}, col ${c}); expected one of "#", " ", "S", "G", "o"`,
      );
    }
    cells[i] = cell;
  }
  return { rows, cols, cells };
}

/** The maze as one string of characters, row-major (the CSV layout). */
export function mazeToString(grid: Grid): string {
  let out = '';
  for (let i = 0; i < grid.cells.length; i++) out += CELL_CHARS[grid.cells[i]];
  return out;
}

/** Index of the single cell of kind `kind`; throws naming `where` when there is not exactly one. */
export function findUnique(grid: Grid, kind: number, where: string): number {
  let found = -1;
  for (let i = 0; i < grid.cells.length; i++) {
    if (grid.cells[i] !== kind) continue;
    if (found >= 0) throw new Error(`${where}: more than one "${CELL_CHARS[kind]}" cell (offsets ${found} and ${i})`);
    found = i;
  }
  if (found < 0) throw new Error(`${where}: no "${CELL_CHARS[kind]}" cell`);
  return found;
}
