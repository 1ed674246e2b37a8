import { describe, expect, it } from 'vitest';
import type { Grid } from '@trm/dataset';
import { DIHEDRAL_INVERSE, DIHEDRAL_NAMES, dihedral, inverseDihedral } from './dihedral.ts';

const grid = (rows: number[][]): Grid => ({ rows: rows.length, cols: rows[0].length, cells: Uint8Array.from(rows.flat()) });
const toRows = (g: Grid): number[][] => Array.from({ length: g.rows }, (_, r) => Array.from(g.cells.subarray(r * g.cols, (r + 1) * g.cols)));

describe('dihedral', () => {
  const x = grid([[1, 2, 3], [4, 5, 6]]);
  // numpy: np.rot90(x, k), np.fliplr, np.flipud, x.T, np.fliplr(np.rot90(x))
  const expected: number[][][] = [
    [[1, 2, 3], [4, 5, 6]],
    [[3, 6], [2, 5], [1, 4]],
    [[6, 5, 4], [3, 2, 1]],
    [[4, 1], [5, 2], [6, 3]],
    [[3, 2, 1], [6, 5, 4]],
    [[4, 5, 6], [1, 2, 3]],
    [[1, 4], [2, 5], [3, 6]],
    [[6, 3], [5, 2], [4, 1]],
  ];

  it('matches numpy semantics for all 8 transforms on a non-square grid', () => {
    expect(DIHEDRAL_NAMES).toHaveLength(8);
    for (let k = 0; k < 8; k++) expect(toRows(dihedral(x, k)), DIHEDRAL_NAMES[k]).toEqual(expected[k]);
  });

  it('inverts every transform', () => {
    for (let k = 0; k < 8; k++) {
      expect(toRows(inverseDihedral(dihedral(x, k), k))).toEqual(toRows(x));
      expect(toRows(dihedral(dihedral(x, k), DIHEDRAL_INVERSE[k]))).toEqual(toRows(x));
    }
  });

  it('composes like the group: rot90 four times is the identity, rot90 twice is rot180', () => {
    let g = x;
    for (let i = 0; i < 4; i++) g = dihedral(g, 1);
    expect(toRows(g)).toEqual(toRows(x));
    expect(toRows(dihedral(dihedral(x, 1), 1))).toEqual(expected[2]);
  });

  it('rejects a transform outside 0..7', () => {
    expect(() => dihedral(x, 8)).toThrow(/0\.\.7/);
  });
});
