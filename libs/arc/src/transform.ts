import type { Grid } from '@trm/dataset';
import { inverseDihedral, type Rng } from '@trm/augment';

// An ARC augmentation: a colour permutation that keeps 0 (black) and permutes 1..9, then one of the 8
// dihedral transforms. Serialised as the reference names it: `t<k>|||<mapping digits>`; an augmented task's
// name is `<task id>|||t<k>|||<mapping>` (the original keeps its bare id; transform "" = identity).

export const NAME_SEPARATOR = '|||';

export interface ArcTransform {
  /** dihedral transform 0..7 (numbering of @trm/augment / the reference) */
  dihedral: number;
  /** mapping[colour] = new colour; mapping[0] = 0 */
  mapping: Uint8Array;
}

export const IDENTITY: ArcTransform = { dihedral: 0, mapping: Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]) };

/** Draw a transform as the reference's `aug`: dihedral id first, then the permutation of colours 1..9. */
export function randomTransform(rng: Rng): ArcTransform {
  const k = rng.int(8);
  const perm = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  rng.shuffle(perm);
  const mapping = new Uint8Array(10);
  mapping.set(perm, 1);
  return { dihedral: k, mapping };
}

export function formatTransform(t: ArcTransform): string {
  return `t${t.dihedral}${NAME_SEPARATOR}${Array.from(t.mapping).join('')}`;
}

/** Parse a transform string ("" = identity); throws naming the text on a malformed one. */
export function parseTransform(text: string): ArcTransform {
  if (text === '') return IDENTITY;
  const parts = text.split(NAME_SEPARATOR);
  const bad = (why: string): never => {
    throw new Error(`arc: transform ${JSON.stringify(text)}: ${why}; expected "t<0..7>${NAME_SEPARATOR}<10 digits, a permutation of 0..9 keeping 0>"`);
  };
  if (parts.length !== 2 || !/^t[0-7]$/.test(parts[0]) || !/^\d{10}$/.test(parts[1])) bad('malformed');
  const mapping = Uint8Array.from(parts[1], (ch) => Number(ch));
  if (mapping[0] !== 0 || new Set(mapping).size !== 10) bad('the colour mapping is not a permutation keeping 0');
  return { dihedral: Number(parts[0].slice(1)), mapping };
}

/** Task name for an augmented copy (the bare id for the original). */
export function augmentedName(taskId: string, transform: string): string {
  return transform === '' ? taskId : `${taskId}${NAME_SEPARATOR}${transform}`;
}

/** Split a name back into (task id, transform), as the reference's `inverse_aug`. */
export function splitName(name: string): { task: string; transform: string } {
  const parts = name.split(NAME_SEPARATOR);
  if (parts.length < 3) return { task: name, transform: '' };
  return { task: parts.slice(0, -2).join(NAME_SEPARATOR), transform: parts.slice(-2).join(NAME_SEPARATOR) };
}

/**
 * Apply: recolour and dihedral in one pass (they commute). Output cell (r, c) reads source index
 * `start + r * stepRow + c * stepCol`, the same maps as @trm/augment's `dihedral` (checked by the tests).
 */
export function applyTransform(grid: Grid, t: ArcTransform): Grid {
  const { rows, cols, cells } = grid;
  const last = (rows - 1) * cols;
  // [start, stepRow, stepCol] for transforms 0..7
  const plans = [
    [0, cols, 1], [cols - 1, -1, cols], [last + cols - 1, -cols, -1], [last, 1, -cols],
    [cols - 1, cols, -1], [last, -cols, 1], [0, 1, cols], [last + cols - 1, -1, -cols],
  ];
  const [start, stepRow, stepCol] = plans[t.dihedral];
  const swap = t.dihedral === 1 || t.dihedral === 3 || t.dihedral === 6 || t.dihedral === 7;
  const outRows = swap ? cols : rows;
  const outCols = swap ? rows : cols;
  const out = new Uint8Array(cells.length);
  const map = t.mapping;
  let o = 0;
  for (let r = 0; r < outRows; r++) {
    let src = start + r * stepRow;
    for (let c = 0; c < outCols; c++, src += stepCol) out[o++] = map[cells[src]];
  }
  return { rows: outRows, cols: outCols, cells: out };
}

/** Undo: inverse dihedral, then the inverse colour mapping. */
export function invertTransform(grid: Grid, t: ArcTransform): Grid {
  const inv = new Uint8Array(10);
  for (let c = 0; c < 10; c++) inv[t.mapping[c]] = c;
  const g = inverseDihedral(grid, t.dihedral);
  const cells = new Uint8Array(g.cells.length);
  for (let i = 0; i < cells.length; i++) cells[i] = inv[g.cells[i]];
  return { rows: g.rows, cols: g.cols, cells };
}
