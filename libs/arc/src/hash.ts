import type { Grid, RawExample } from '@trm/dataset';

// Content hashes used to deduplicate augmented tasks and to match predictions to test inputs. The reference
// uses sha256 of (shape bytes + cells); a 64-bit hash (two independent 32-bit lanes) over the same content
// serves the same purpose here without a crypto dependency: a collision among a task's <= 1000 copies has
// probability ~1e-13.

/** 64-bit hash of a grid's shape and cells, as 16 hex digits. */
export function gridHash(grid: Grid): string {
  let a = 0x811c9dc5 ^ grid.rows;
  let b = 0x9747b28c ^ (grid.cols * 0x2d);
  a = Math.imul(a ^ grid.cols, 0x01000193);
  const { cells } = grid;
  for (let i = 0; i < cells.length; i++) {
    a = Math.imul(a ^ cells[i], 0x01000193);
    b = Math.imul(b ^ cells[i], 0x5bd1e995);
    b ^= b >>> 15;
  }
  a = fmix(a ^ cells.length);
  b = fmix(b ^ grid.rows ^ (grid.cols << 8));
  return hex8(a) + hex8(b);
}

/** Hash of a whole task (every example of every split), independent of example order, as the reference. */
export function taskHash(examples: readonly RawExample[]): string {
  const parts = examples.map((ex) => `${gridHash(ex.input)}|${ex.output ? gridHash(ex.output) : '-'}`);
  parts.sort();
  return parts.join('|');
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hex8(x: number): string {
  return (x >>> 0).toString(16).padStart(8, '0');
}
