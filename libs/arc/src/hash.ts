import type { Grid, RawExample } from '@trm/dataset';

// Content hashes used to deduplicate augmented tasks and to match predictions to test inputs. The reference
// uses sha256 of (shape bytes + cells); here two independent 32-bit lanes over the same content are folded into a
// 53-bit integer (exact in a JS number), without a crypto dependency: a collision among a task's <= 1001 copies
// has probability ~1e-10.

const LOW21 = 0x200000;

/** 53-bit hash of a grid's shape and cells. */
export function gridHash(grid: Grid): number {
  let a = Math.imul(0x811c9dc5 ^ grid.rows, 0x01000193);
  let b = 0x9747b28c ^ Math.imul(grid.cols, 0x2d);
  a = Math.imul(a ^ grid.cols, 0x01000193);
  const { cells } = grid;
  for (let i = 0; i < cells.length; i++) {
    a = Math.imul(a ^ cells[i], 0x01000193);
    b = Math.imul(b ^ cells[i], 0x5bd1e995);
    b ^= b >>> 15;
  }
  return fold(fmix(a ^ cells.length), fmix(b ^ grid.rows ^ (grid.cols << 8)));
}

/** Hash of a whole task (every example of every split), independent of example order, as the reference. */
export function taskHash(examples: readonly RawExample[]): number {
  const parts = new Float64Array(examples.length);
  examples.forEach((ex, i) => {
    parts[i] = combine(gridHash(ex.input), ex.output ? gridHash(ex.output) : -1);
  });
  parts.sort();
  let a = 0x243f6a88;
  let b = 0x85a308d3;
  for (const h of parts) {
    const lo = h % 0x100000000;
    const hi = Math.floor(h / 0x100000000);
    a = fmix(Math.imul(a ^ lo, 0x01000193) ^ hi);
    b = fmix(Math.imul(b ^ hi, 0x5bd1e995) ^ lo);
  }
  return fold(a, b ^ examples.length);
}

function combine(x: number, y: number): number {
  const a = fmix((x % 0x100000000) ^ Math.imul(Math.floor(x / 0x100000000), 0x9e3779b1) ^ 0x1234567);
  const b = fmix((y % 0x100000000) ^ Math.imul(Math.floor(y / 0x100000000), 0x85ebca6b) ^ a);
  return fold(a, b);
}

/** Two 32-bit lanes -> a 53-bit non-negative integer. */
function fold(a: number, b: number): number {
  return (a >>> 0) * LOW21 + ((b >>> 0) >>> 11);
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
