// The Sudoku augmentation group (spec section 6): digit permutation of 1..n (blank fixed), band and stack
// permutations with row/column permutations inside them, optional transpose (square boxes only).
// Output cell (i, j) = digits[X[rows[i]][cols[j]]] where X is the source, transposed first when `transpose`.
import { invertPermutation, permutationTable } from '@trm/augment';
import type { Rng } from '@trm/augment';
import type { BoardSpec } from './board.ts';

export interface SudokuTransform {
  transpose: boolean;
  /** source row of each output row (after the optional transpose) */
  rows: Uint8Array;
  /** source column of each output column */
  cols: Uint8Array;
  /** length n+1: digits[d] = new digit for d; digits[0] = 0 (blank stays blank) */
  digits: Uint8Array;
}

export function identityTransform(spec: BoardSpec): SudokuTransform {
  const ids = Uint8Array.from({ length: spec.n }, (_, i) => i);
  return { transpose: false, rows: ids, cols: ids.slice(), digits: Uint8Array.from({ length: spec.n + 1 }, (_, i) => i) };
}

/** True when transposing maps the board onto itself (square boxes). */
export function canTranspose(spec: BoardSpec): boolean {
  return spec.boxRows === spec.boxCols;
}

const LIMITS = new Float64Array(41); // rejection limits of rng.int(n): same draws, no per-call checks
for (let n = 1; n < LIMITS.length; n++) LIMITS[n] = 0x100000000 - (0x100000000 % n);

/** Uniform integer in [0, n): exactly the draws of `rng.int(n)` (n <= 40), inlined for the hot loop. */
function draw(rng: Rng, n: number): number {
  const limit = LIMITS[n];
  for (;;) {
    const x = rng.nextU32();
    if (x < limit) return x % n;
  }
}

/** Draw a random transform into `out` (no allocation). Transpose with probability 1/2 when allowed. */
export function sampleTransform(spec: BoardSpec, rng: Rng, allowTranspose: boolean, out: SudokuTransform): SudokuTransform {
  const { n, boxRows: br, boxCols: bc } = spec;
  const digits = out.digits;
  for (let i = 0; i <= n; i++) digits[i] = i;
  for (let i = n; i > 1; i--) { // Fisher-Yates over 1..n
    const j = 1 + draw(rng, i);
    const tmp = digits[i];
    digits[i] = digits[j];
    digits[j] = tmp;
  }
  out.transpose = allowTranspose && br === bc ? (rng.nextU32() & 1) === 1 : false;
  fillBlockPermutation(rng, out.rows, permutationTable(n / br), permutationTable(br), br);
  fillBlockPermutation(rng, out.cols, permutationTable(n / bc), permutationTable(bc), bc);
  return out;
}

/** A permutation of `groups * size` lines that keeps each group of `size` consecutive lines together. */
function fillBlockPermutation(rng: Rng, out: Uint8Array, groupPerms: readonly Uint8Array[], innerPerms: readonly Uint8Array[], size: number): void {
  const order = groupPerms[draw(rng, groupPerms.length)];
  for (let q = 0; q < order.length; q++) {
    const inner = innerPerms[draw(rng, innerPerms.length)];
    const base = order[q] * size;
    for (let x = 0; x < size; x++) out[q * size + x] = base + inner[x];
  }
}

/** map[i] = source cell of output cell i. */
export function transformMap(t: SudokuTransform, spec: BoardSpec, map: Int32Array): Int32Array {
  const n = spec.n;
  for (let i = 0; i < n; i++) {
    const r = t.rows[i];
    for (let j = 0; j < n; j++) {
      const c = t.cols[j];
      map[i * n + j] = t.transpose ? c * n + r : r * n + c;
    }
  }
  return map;
}

/** Apply `t` to a grid of digits. */
export function applyTransform(cells: Uint8Array, t: SudokuTransform, spec: BoardSpec): Uint8Array {
  const map = transformMap(t, spec, new Int32Array(spec.cells));
  const out = new Uint8Array(spec.cells);
  for (let i = 0; i < spec.cells; i++) out[i] = t.digits[cells[map[i]]];
  return out;
}

/** Undo `t` on a grid of digits (digits outside 0..n, e.g. from a bad prediction, become 0). */
export function invertTransform(cells: Uint8Array, t: SudokuTransform, spec: BoardSpec): Uint8Array {
  const map = transformMap(t, spec, new Int32Array(spec.cells));
  const digitInv = invertPermutation(t.digits);
  const out = new Uint8Array(spec.cells);
  for (let i = 0; i < spec.cells; i++) {
    const d = cells[i];
    out[map[i]] = d < digitInv.length ? digitInv[d] : 0;
  }
  return out;
}

/** Length of the text form of a transform on an n x n board (identity excluded: that is `""`). */
export function transformTextLength(n: number): number {
  return 3 * n + 8;
}

/** Write the ASCII bytes of `serializeTransform(t)` into `out` at `offset`; returns the offset after them. */
export function writeTransformAscii(t: SudokuTransform, out: Uint8Array | Uint16Array, offset: number): number {
  const n = t.rows.length;
  let k = offset;
  out[k++] = 116; // t
  out[k++] = t.transpose ? 49 : 48;
  out[k++] = 32;
  out[k++] = 114; // r
  for (let i = 0; i < n; i++) out[k++] = 48 + t.rows[i];
  out[k++] = 32;
  out[k++] = 99; // c
  for (let i = 0; i < n; i++) out[k++] = 48 + t.cols[i];
  out[k++] = 32;
  out[k++] = 100; // d
  for (let i = 1; i <= n; i++) out[k++] = 48 + t.digits[i];
  return k;
}

const textScratch = new Uint16Array(3 * 9 + 8);

/** Compact text form, e.g. `t1 r120...8 c... d9314...` (rows/cols 0-based, digits for 1..n). Identity is `""`. */
export function serializeTransform(t: SudokuTransform): string {
  // one flat string from char codes: concatenating 30 one-character strings is 5x slower and leaves ropes
  const n = t.rows.length;
  const codes = n === 9 ? textScratch : new Uint16Array(transformTextLength(n));
  writeTransformAscii(t, codes, 0);
  return String.fromCharCode.apply(null, codes as unknown as number[]);
}

/** Parse `serializeTransform` output (`""` = identity), checking every part. */
export function parseTransform(text: string, spec: BoardSpec): SudokuTransform {
  if (text === '') return identityTransform(spec);
  const m = /^t([01]) r(\d+) c(\d+) d(\d+)$/.exec(text);
  const bad = (why: string): Error => new Error(`sudoku transform "${text}": ${why}`);
  if (!m) throw bad(`expected "t<0|1> r<rows> c<cols> d<digits>" with ${spec.n} digits each`);
  const digitsOf = (s: string): Uint8Array => Uint8Array.from(s, (ch) => ch.charCodeAt(0) - 48);
  const rows = digitsOf(m[2]);
  const cols = digitsOf(m[3]);
  const digitPart = digitsOf(m[4]);
  if (rows.length !== spec.n || cols.length !== spec.n || digitPart.length !== spec.n) {
    throw bad(`rows, cols and digits must have ${spec.n} entries each`);
  }
  const checkPerm = (p: Uint8Array, offset: number, what: string): void => {
    const seen = new Set(p);
    if (seen.size !== spec.n || [...seen].some((v) => v < offset || v >= spec.n + offset)) {
      throw bad(`${what} is not a permutation of ${offset}..${spec.n - 1 + offset}`);
    }
  };
  checkPerm(rows, 0, 'rows');
  checkPerm(cols, 0, 'cols');
  checkPerm(digitPart, 1, 'digits');
  const transpose = m[1] === '1';
  if (transpose && !canTranspose(spec)) throw bad(`transpose is not a symmetry of a ${spec.n}x${spec.n} board with ${spec.boxRows}x${spec.boxCols} boxes`);
  const digits = new Uint8Array(spec.n + 1);
  digits.set(digitPart, 1);
  return { transpose, rows, cols, digits };
}
