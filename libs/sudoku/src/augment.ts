// Augmentation of a split: each puzzle becomes a group (the original first, then `numAug` random transforms).
// Only the train split is augmented, as in the reference builder. Each group draws from its own seeded stream
// (seed, split, group index), so the streaming path and the bulk typed-array path give identical examples.
import { createRng, deriveSeed } from '@trm/augment';
import type { Rng } from '@trm/augment';
import type { AugmentedPuzzle, RawExample, RawPuzzle } from '@trm/dataset';
import type { BoardSpec } from './board.ts';
import { identityTransform, sampleTransform, serializeTransform, transformTextLength, writeTransformAscii } from './transform.ts';
import type { SudokuTransform } from './transform.ts';

export interface AugmentOptions {
  /** augmented copies per train puzzle (the original is kept too) */
  numAug: number;
  /** allow the transpose (ignored for boards whose boxes are not square) */
  transpose: boolean;
}

export function groupRng(seed: number, split: string, group: number): Rng {
  return createRng(deriveSeed(seed, 'sudoku-augment', split, group));
}

/** Copies per group for a split: 1 + numAug on train, 1 on test. */
export function groupSize(opts: AugmentOptions, split: 'train' | 'test'): number {
  return split === 'train' ? 1 + opts.numAug : 1;
}

/** Write digits[src[map]] for one grid; `tok` folds in the token offset when encoding (digit + 1). */
function writeMapped(src: Uint8Array, t: SudokuTransform, n: number, out: Uint8Array, offset: number, add: number): void {
  const { rows, cols, digits } = t;
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    const o = offset + i * n;
    if (t.transpose) {
      for (let j = 0; j < n; j++) out[o + j] = digits[src[cols[j] * n + r]] + add;
    } else {
      const base = r * n;
      for (let j = 0; j < n; j++) out[o + j] = digits[src[base + cols[j]]] + add;
    }
  }
}

/** Split puzzle → (input, output) digits, checked to be one n x n example with an answer. */
function sudokuPair(p: RawPuzzle, spec: BoardSpec): { input: Uint8Array; output: Uint8Array } {
  const ex = p.examples[0];
  if (p.examples.length !== 1 || !ex.output || ex.input.cells.length !== spec.cells || ex.output.cells.length !== spec.cells) {
    throw new Error(`sudoku augment: puzzle ${p.id} must have one example with a ${spec.n}x${spec.n} input and output`);
  }
  return { input: ex.input.cells, output: ex.output.cells };
}

/** The streaming contract path: one array per group, original first. */
export function* augmentGroups(
  puzzles: RawPuzzle[], spec: BoardSpec, opts: AugmentOptions, seed: number, split: 'train' | 'test',
): Generator<AugmentedPuzzle[]> {
  const { n, cells } = spec;
  const copies = groupSize(opts, split);
  const t = identityTransform(spec);
  let group = 0;
  for (const p of puzzles) {
    if (p.split !== split) continue;
    const { input, output } = sudokuPair(p, spec);
    const rng = groupRng(seed, split, group);
    const block = new Uint8Array(copies * 2 * cells); // one allocation per group; grids are views into it
    const out: AugmentedPuzzle[] = new Array(copies);
    for (let a = 0; a < copies; a++) {
      const inCells = block.subarray(2 * a * cells, (2 * a + 1) * cells);
      const outCells = block.subarray((2 * a + 1) * cells, (2 * a + 2) * cells);
      let transform = '';
      if (a === 0) {
        inCells.set(input);
        outCells.set(output);
      } else {
        sampleTransform(spec, rng, opts.transpose, t);
        writeMapped(input, t, n, inCells, 0, 0);
        writeMapped(output, t, n, outCells, 0, 0);
        transform = serializeTransform(t);
      }
      const example: RawExample = { input: { rows: n, cols: n, cells: inCells }, output: { rows: n, cols: n, cells: outCells }, role: 'test' };
      out[a] = { split, group, augIndex: a, name: '', transform, examples: [example] };
    }
    yield out;
    group++;
  }
}

export interface EncodedArrays {
  /** tokens, examples x seqLen */
  inputs: Uint8Array;
  labels: Uint8Array;
  /** group of each example */
  groupIndex: Int32Array;
  /**
   * serialised transform of each example (only with `withTransforms`), in Arrow Utf8 layout: example i's text is
   * bytes[offsets[i] .. offsets[i+1]) (ASCII; empty for the originals). `transformAt` decodes one.
   */
  transforms: { offsets: Int32Array; bytes: Uint8Array } | null;
}

/** The transform text of example `row` of `augmentEncodeArrays` output. */
export function transformAt(arrays: EncodedArrays, row: number): string {
  if (!arrays.transforms) throw new Error('transformAt: augmentEncodeArrays was called without withTransforms');
  const { offsets, bytes } = arrays.transforms;
  return String.fromCharCode.apply(null, bytes.subarray(offsets[row], offsets[row + 1]) as unknown as number[]);
}

/**
 * Bulk path: augment and encode a whole split straight into typed arrays (tokens = digit + 1), drawing the same
 * transforms as `augmentGroups`. Memory: 2 * seqLen bytes + 4 per example (+ 3n + 12 with transforms).
 */
export function augmentEncodeArrays(
  puzzles: RawPuzzle[], spec: BoardSpec, opts: AugmentOptions, seed: number, split: 'train' | 'test', withTransforms = false,
): EncodedArrays {
  const { n, cells } = spec;
  const mine = puzzles.filter((p) => p.split === split);
  const copies = groupSize(opts, split);
  const total = mine.length * copies;
  const inputs = new Uint8Array(total * cells);
  const labels = new Uint8Array(total * cells);
  const groupIndex = new Int32Array(total);
  const offsets = withTransforms ? new Int32Array(total + 1) : null;
  const bytes = withTransforms ? new Uint8Array(mine.length * (copies - 1) * transformTextLength(n)) : null;
  let textEnd = 0;
  const identity = identityTransform(spec);
  const t = identityTransform(spec);
  let row = 0;
  for (let group = 0; group < mine.length; group++) {
    const { input, output } = sudokuPair(mine[group], spec);
    const rng = groupRng(seed, split, group);
    for (let a = 0; a < copies; a++, row++) {
      const tr = a === 0 ? identity : sampleTransform(spec, rng, opts.transpose, t);
      writeMapped(input, tr, n, inputs, row * cells, 1);
      writeMapped(output, tr, n, labels, row * cells, 1);
      groupIndex[row] = group;
      if (offsets && bytes) {
        if (a > 0) textEnd = writeTransformAscii(tr, bytes, textEnd);
        offsets[row + 1] = textEnd;
      }
    }
  }
  return { inputs, labels, groupIndex, transforms: offsets && bytes ? { offsets, bytes } : null };
}
