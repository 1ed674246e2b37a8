import type { Grid } from '@trm/dataset';

// The 8 symmetries of the square, numbered as the reference builder numbers them:
// 0 identity, 1 rot90, 2 rot180, 3 rot270, 4 fliplr, 5 flipud, 6 transpose, 7 fliplr(rot90).
// numpy semantics: rot90 turns counter-clockwise.

/** numpy semantics: rot90 is counter-clockwise; fliplr mirrors columns; transpose swaps axes. */
export const DIHEDRAL_NAMES = ['identity', 'rot90', 'rot180', 'rot270', 'fliplr', 'flipud', 'transpose', 'antitranspose'] as const;

/** inverse[k] undoes transform k */
export const DIHEDRAL_INVERSE = [0, 3, 2, 1, 4, 5, 6, 7] as const;

/** Apply dihedral transform `k` (0..7) to a grid. */
export function dihedral(grid: Grid, k: number): Grid {
  const { rows, cols, cells } = grid;
  const swap = k === 1 || k === 3 || k === 6 || k === 7;
  const outRows = swap ? cols : rows;
  const outCols = swap ? rows : cols;
  const out = new Uint8Array(rows * cols);
  for (let r = 0; r < outRows; r++) {
    for (let c = 0; c < outCols; c++) {
      let sr: number;
      let sc: number;
      switch (k) {
        case 0: sr = r; sc = c; break;
        case 1: sr = c; sc = cols - 1 - r; break; // np.rot90(x, 1): out[r,c] = x[c, W-1-r]
        case 2: sr = rows - 1 - r; sc = cols - 1 - c; break;
        case 3: sr = rows - 1 - c; sc = r; break;
        case 4: sr = r; sc = cols - 1 - c; break; // np.fliplr
        case 5: sr = rows - 1 - r; sc = c; break; // np.flipud
        case 6: sr = c; sc = r; break; // x.T
        case 7: sr = rows - 1 - c; sc = cols - 1 - r; break; // np.fliplr(np.rot90(x, 1)) = anti-transpose
        default: throw new RangeError(`dihedral: transform must be 0..7, got ${k}`);
      }
      out[r * outCols + c] = cells[sr * cols + sc];
    }
  }
  return { rows: outRows, cols: outCols, cells: out };
}

/** Undo dihedral transform `k`. */
export function inverseDihedral(grid: Grid, k: number): Grid {
  return dihedral(grid, DIHEDRAL_INVERSE[k]);
}
