// Canonical form of a Sudoku puzzle under the augmentation group (digit relabelling, band/stack permutations,
// row/column permutations inside them, transpose where boxes are square), used to keep test puzzles out of train.
//
// The canonical solution is the lexicographically smallest relabelled image of the solution grid; among the
// transforms reaching it (the grid's automorphisms, usually just one) the puzzle's smallest image is kept.
import type { BoardSpec } from './board.ts';

const colPermCache = new Map<number, Uint8Array[]>();

function permutationsOf(k: number): number[][] {
  if (k === 1) return [[0]];
  const out: number[][] = [];
  for (const rest of permutationsOf(k - 1)) {
    for (let pos = 0; pos <= rest.length; pos++) out.push([...rest.slice(0, pos), k - 1, ...rest.slice(pos)]);
  }
  return out;
}

/** Every column permutation that keeps stacks together: stack order x order inside each stack. */
export function stackPreservingPermutations(groups: number, groupSize: number): Uint8Array[] {
  const key = groups * 100 + groupSize;
  const hit = colPermCache.get(key);
  if (hit) return hit;
  const inner = permutationsOf(groupSize);
  const out: Uint8Array[] = [];
  for (const groupOrder of permutationsOf(groups)) {
    let partial: number[][] = [[]];
    for (const g of groupOrder) {
      const next: number[][] = [];
      for (const prefix of partial) for (const p of inner) next.push([...prefix, ...p.map((x) => g * groupSize + x)]);
      partial = next;
    }
    for (const p of partial) out.push(Uint8Array.from(p));
  }
  colPermCache.set(key, out);
  return out;
}

function transposed(cells: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(cells.length);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) out[c * n + r] = cells[r * n + c];
  return out;
}

interface Candidate {
  grid: Uint8Array;
  puzzle: Uint8Array;
  rows: Int32Array;
  cols: Uint8Array;
  label: Uint8Array;
}

/**
 * Canonical key of a puzzle with its (unique) solution: equal for two puzzles exactly when one is an
 * augmentation of the other. Cost ~1 ms for 9x9.
 */
export function canonicalKey(puzzle: Uint8Array, solution: Uint8Array, spec: BoardSpec): string {
  const { n, boxRows: br, boxCols: bc } = spec;
  const bands = n / br;
  const colPerms = stackPreservingPermutations(n / bc, bc);
  const label = new Uint8Array(n + 1);
  const value = new Int32Array(n); // relabelled row values (base 10, digits 1..n), by source row
  const cand = new Int32Array(n);
  const rows = new Int32Array(n);
  const bandMin = new Int32Array(bands);
  const bandOrder = new Int32Array(bands);
  let best: Int32Array | null = null;
  let ties: Candidate[] = [];

  const rowValue = (grid: Uint8Array, r: number, cols: Uint8Array): number => {
    let v = 0;
    for (let j = 0; j < n; j++) v = v * 10 + label[grid[r * n + cols[j]]];
    return v;
  };
  const sortRows = (from: number, to: number): void => { // insertion sort of rows[from..to) by value
    for (let a = from + 1; a < to; a++) {
      const r = rows[a];
      let b = a - 1;
      while (b >= from && value[rows[b]] > value[r]) { rows[b + 1] = rows[b]; b--; }
      rows[b + 1] = r;
    }
  };

  for (let t = 0; t < (br === bc ? 2 : 1); t++) {
    const grid = t ? transposed(solution, n) : solution;
    const givens = t ? transposed(puzzle, n) : puzzle;
    for (let r0 = 0; r0 < n; r0++) {
      const b0 = Math.floor(r0 / br);
      for (const cols of colPerms) {
        for (let j = 0; j < n; j++) label[grid[r0 * n + cols[j]]] = j + 1;
        // first band: r0, then its other rows sorted; compare that prefix before doing the rest
        let k = 0;
        rows[k++] = r0;
        for (let r = b0 * br; r < (b0 + 1) * br; r++) if (r !== r0) { value[r] = rowValue(grid, r, cols); rows[k++] = r; }
        value[r0] = rowValue(grid, r0, cols);
        sortRows(1, br);
        let cmp = 0;
        if (best) {
          for (let i = 0; i < br && cmp === 0; i++) cmp = Math.sign(value[rows[i]] - best[i]);
          if (cmp > 0) continue;
        }
        // other bands: rows sorted inside each band, bands ordered by their smallest row
        let nb = 0;
        for (let b = 0; b < bands; b++) {
          if (b === b0) continue;
          let min = Infinity;
          for (let r = b * br; r < (b + 1) * br; r++) { value[r] = rowValue(grid, r, cols); if (value[r] < min) min = value[r]; }
          bandMin[b] = min;
          let p = nb++;
          while (p > 0 && bandMin[bandOrder[p - 1]] > min) { bandOrder[p] = bandOrder[p - 1]; p--; }
          bandOrder[p] = b;
        }
        for (let q = 0; q < nb; q++) {
          const b = bandOrder[q];
          const start = k;
          for (let r = b * br; r < (b + 1) * br; r++) rows[k++] = r;
          sortRows(start, k);
        }
        for (let i = 0; i < n; i++) cand[i] = value[rows[i]];
        if (best && cmp === 0) { // the first band tied: the remaining rows decide
          for (let i = br; i < n && cmp === 0; i++) cmp = Math.sign(cand[i] - best[i]);
          if (cmp > 0) continue;
        }
        const entry: Candidate = { grid, puzzle: givens, rows: rows.slice(), cols, label: label.slice() };
        if (!best || cmp < 0) { best = cand.slice(); ties = [entry]; } else ties.push(entry);
      }
    }
  }

  let bestPuzzle = '';
  for (const { puzzle: givens, rows: order, cols, label: lab } of ties) {
    let s = '';
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) s += lab[givens[order[i] * n + cols[j]]];
    if (bestPuzzle === '' || s < bestPuzzle) bestPuzzle = s;
  }
  return `${Array.from(best!).join('')}|${bestPuzzle}`;
}

/**
 * A cheap invariant of the same group (equal for equivalent puzzles, usually different otherwise):
 * givens per row/column/band/stack and per digit, as sorted multisets.
 */
export function puzzleInvariant(puzzle: Uint8Array, spec: BoardSpec): string {
  const { n, boxRows: br, boxCols: bc } = spec;
  const rowCount = new Array<number>(n).fill(0);
  const colCount = new Array<number>(n).fill(0);
  const digitCount = new Array<number>(n + 1).fill(0);
  for (let i = 0; i < spec.cells; i++) {
    if (puzzle[i] === 0) continue;
    rowCount[spec.rowOf[i]]++;
    colCount[spec.colOf[i]]++;
    digitCount[puzzle[i]]++;
  }
  const sorted = (xs: number[]): string => [...xs].sort((a, b) => a - b).join('.');
  const grouped = (xs: number[], size: number): string =>
    sorted(Array.from({ length: n / size }, (_, g) => xs.slice(g * size, (g + 1) * size).reduce((a, b) => a + b, 0)));
  const rowsPart = `${sorted(rowCount)}/${grouped(rowCount, br)}`;
  const colsPart = `${sorted(colCount)}/${grouped(colCount, bc)}`;
  const lines = br === bc ? [rowsPart, colsPart].sort().join('|') : `${rowsPart}|${colsPart}`;
  // per given: givens in its row, column and box and of its digit (row/column unordered when transposable)
  const boxCount = new Array<number>(n).fill(0);
  for (let i = 0; i < spec.cells; i++) if (puzzle[i] !== 0) boxCount[spec.boxOf[i]]++;
  const perGiven: number[] = [];
  for (let i = 0; i < spec.cells; i++) {
    if (puzzle[i] === 0) continue;
    let a = rowCount[spec.rowOf[i]];
    let b = colCount[spec.colOf[i]];
    if (br === bc && a > b) [a, b] = [b, a];
    perGiven.push(((a * 16 + b) * 16 + boxCount[spec.boxOf[i]]) * 16 + digitCount[puzzle[i]]);
  }
  return `${lines}#${sorted(digitCount.slice(1))}#${sorted(perGiven)}`;
}

interface Member {
  puzzle: Uint8Array;
  solution: Uint8Array;
  key: string | null;
}

/**
 * A set of puzzles up to the augmentation group. Members are bucketed by `puzzleInvariant`; the (slower)
 * canonical key is only computed when two puzzles share a bucket, so adding is cheap and still exact.
 */
export class CanonicalSet {
  private readonly buckets = new Map<string, Member[]>();
  private count = 0;

  constructor(private readonly spec: BoardSpec) {}

  get size(): number {
    return this.count;
  }

  /** True when an equivalent puzzle is in the set. */
  has(puzzle: Uint8Array, solution: Uint8Array): boolean {
    return this.find(puzzleInvariant(puzzle, this.spec), puzzle, solution) !== null;
  }

  /** Add the puzzle unless an equivalent one is present; true when it was added. */
  add(puzzle: Uint8Array, solution: Uint8Array): boolean {
    const inv = puzzleInvariant(puzzle, this.spec);
    if (this.find(inv, puzzle, solution)) return false;
    const bucket = this.buckets.get(inv);
    const member: Member = { puzzle, solution, key: null };
    if (bucket) bucket.push(member);
    else this.buckets.set(inv, [member]);
    this.count++;
    return true;
  }

  private find(inv: string, puzzle: Uint8Array, solution: Uint8Array): Member | null {
    const bucket = this.buckets.get(inv);
    if (!bucket) return null;
    const key = canonicalKey(puzzle, solution, this.spec);
    for (const m of bucket) {
      m.key ??= canonicalKey(m.puzzle, m.solution, this.spec);
      if (m.key === key) return m;
    }
    return null;
  }
}
