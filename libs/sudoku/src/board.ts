// Board geometry: one code path for every size, parameterised by the box dimensions.
// Cells hold digits 1..n, 0 = blank (the dataset's own alphabet; tokens are digit + 1).
import { excerpt } from '@trm/dataset';

export interface BoardSpec {
  /** side length n = boxRows * boxCols */
  n: number;
  /** rows per box (= rows per band) */
  boxRows: number;
  /** columns per box (= columns per stack) */
  boxCols: number;
  /** n * n */
  cells: number;
  /** row, column and box of each cell index */
  rowOf: Uint8Array;
  colOf: Uint8Array;
  boxOf: Uint8Array;
  /** bit mask with the n digit bits set (digit d is bit d-1) */
  full: number;
}

/** Box shape for each supported side length: 4 = 2x2, 6 = 2x3, 8 = 2x4, 9 = 3x3. */
export const BOX_SHAPES: Readonly<Record<number, readonly [number, number]>> = {
  4: [2, 2],
  6: [2, 3],
  8: [2, 4],
  9: [3, 3],
};

const cache = new Map<number, BoardSpec>();

/** The board of side `size` (4, 6, 8 or 9). */
export function boardSpec(size: number): BoardSpec {
  const hit = cache.get(size);
  if (hit) return hit;
  const shape = BOX_SHAPES[size];
  if (!shape) {
    throw new Error(`sudoku: size must be one of ${Object.keys(BOX_SHAPES).join(', ')} (side of the board), got ${size}`);
  }
  const [boxRows, boxCols] = shape;
  const n = size;
  const cells = n * n;
  const rowOf = new Uint8Array(cells);
  const colOf = new Uint8Array(cells);
  const boxOf = new Uint8Array(cells);
  for (let i = 0; i < cells; i++) {
    const r = Math.floor(i / n);
    const c = i % n;
    rowOf[i] = r;
    colOf[i] = c;
    boxOf[i] = Math.floor(r / boxRows) * (n / boxCols) + Math.floor(c / boxCols);
  }
  const spec: BoardSpec = { n, boxRows, boxCols, cells, rowOf, colOf, boxOf, full: (1 << n) - 1 };
  cache.set(size, spec);
  return spec;
}

/** The spec of a board with `cellCount` cells (81 -> 9x9), or an error naming `what`. */
export function specForCells(cellCount: number, what: string): BoardSpec {
  const n = Math.round(Math.sqrt(cellCount));
  if (n * n !== cellCount || !BOX_SHAPES[n]) {
    throw new Error(`${what}: ${cellCount} cells is not a supported board (expected ${Object.keys(BOX_SHAPES).map((s) => Number(s) ** 2).join(', ')})`);
  }
  return boardSpec(n);
}

/** Character of a cell value in text form (`.` = blank). */
export function cellChar(v: number): string {
  return v === 0 ? '.' : String(v);
}

/**
 * Parse a puzzle/solution string of n*n characters: `.` or `0` = blank, `1`..`n` digits.
 * Returns an error message (what was expected) instead of throwing, so callers can name the file/row.
 */
export function parseCells(text: string, spec: BoardSpec, allowBlank: boolean): Uint8Array | string {
  if (text.length !== spec.cells) {
    return `expected ${spec.cells} characters (${spec.n}x${spec.n} board), found ${text.length}`;
  }
  const out = new Uint8Array(spec.cells);
  for (let i = 0; i < spec.cells; i++) {
    const code = text.charCodeAt(i);
    if (code === 46 /* . */ || code === 48 /* 0 */) {
      if (!allowBlank) return `position ${i + 1}: blank '${text[i]}' where a digit 1-${spec.n} was expected`;
      continue;
    }
    const d = code - 48;
    if (d < 1 || d > spec.n) {
      return `position ${i + 1}: bad character '${excerpt(text[i], 1)}' (expected ${allowBlank ? "'.', '0' or " : ''}a digit 1-${spec.n})`;
    }
    out[i] = d;
  }
  return out;
}

/** n*n characters, `.` for blanks. */
export function cellsToString(cells: Uint8Array): string {
  let s = '';
  for (let i = 0; i < cells.length; i++) s += cellChar(cells[i]);
  return s;
}
