import type { Grid } from '@trm/dataset';
import { OPEN, PATH, WALL } from './cells.ts';

// Breadth-first search over the open cells of a maze (4-neighbourhood; S, G and path cells are open).

export interface BfsResult {
  /** steps from the source, -1 where unreachable; length rows*cols */
  dist: Int32Array;
  /** predecessor on one shortest path, -1 for the source and unreachable cells */
  parent: Int32Array;
  /** number of distinct shortest paths from the source, capped at 2 (enough to test uniqueness) */
  count: Uint8Array;
}

/** BFS from `source`; neighbours are visited in the fixed order up, left, right, down (deterministic parents). */
export function bfs(grid: Grid, source: number): BfsResult {
  const { rows, cols, cells } = grid;
  const n = rows * cols;
  const dist = new Int32Array(n).fill(-1);
  const parent = new Int32Array(n).fill(-1);
  const count = new Uint8Array(n);
  const queue = new Int32Array(n);
  let head = 0;
  let tail = 0;
  dist[source] = 0;
  count[source] = 1;
  queue[tail++] = source;
  while (head < tail) {
    const u = queue[head++];
    const r = (u / cols) | 0;
    const c = u - r * cols;
    const visit = (v: number): void => {
      if (cells[v] === WALL) return;
      if (dist[v] < 0) {
        dist[v] = dist[u] + 1;
        parent[v] = u;
        count[v] = count[u];
        queue[tail++] = v;
      } else if (dist[v] === dist[u] + 1) {
        count[v] = Math.min(2, count[v] + count[u]);
      }
    };
    if (r > 0) visit(u - cols);
    if (c > 0) visit(u - 1);
    if (c < cols - 1) visit(u + 1);
    if (r < rows - 1) visit(u + cols);
  }
  return { dist, parent, count };
}

/** Cells of the shortest path from the BFS source to `target` (both included), or null if unreachable. */
export function shortestPath(result: BfsResult, target: number): number[] | null {
  if (result.dist[target] < 0) return null;
  const path: number[] = [];
  for (let v = target; v >= 0; v = result.parent[v]) path.push(v);
  return path.reverse();
}

/** A copy of `grid` with the given cells marked as path, except the two end points (S and G stay). */
export function markPath(grid: Grid, path: readonly number[]): Grid {
  const cells = grid.cells.slice();
  for (let i = 1; i < path.length - 1; i++) cells[path[i]] = PATH;
  return { rows: grid.rows, cols: grid.cols, cells };
}

/** The path cells (`o`) of a grid turned back into open cells: the puzzle a labelled maze came from. */
export function clearPath(grid: Grid): Grid {
  const cells = grid.cells.map((v) => (v === PATH ? OPEN : v));
  return { rows: grid.rows, cols: grid.cols, cells };
}
