import type { Grid } from '@trm/dataset';
import { createRng, type Rng } from '@trm/augment';
import { GOAL, OPEN, START, WALL } from './cells.ts';
import { bfs, markPath, shortestPath, type BfsResult } from './bfs.ts';

// Seeded maze generator. A maze with a long shortest path is built with little rejection:
//  - `carve`: a perfect maze carved by a randomised depth-first search on the even cells,
//    then a fraction of the remaining walls knocked out (loops, open areas);
//  - `random`: every cell is a wall with probability `wall_density` (the look of Maze-Hard).
// S is drawn among the open cells, one BFS from S gives every cell's distance, and G is drawn
// among the cells whose shortest path (S and G included) has at least `minPathLength` cells
// (and, with `uniquePath`, exactly one shortest path); if none does, S moves once to the far end
// of the BFS tree. Only when that fails too is the attempt rejected and new walls drawn.

export interface GeneratorOptions {
  rows: number;
  cols: number;
  algorithm: 'carve' | 'random';
  /** minimum number of cells on the shortest S-G path, S and G included */
  minPathLength: number;
  /** keep only mazes whose shortest path is unique */
  uniquePath: boolean;
  /** `carve`: fraction of the walls left by the carving that are removed afterwards */
  loopFraction: number;
  /** `random`: probability that a cell is a wall */
  wallDensity: number;
  /** give up after this many rejected attempts for one maze */
  maxAttempts: number;
}

export interface GeneratedMaze {
  input: Grid;
  output: Grid;
  /** cells on the shortest path, S and G included */
  pathLength: number;
  /** attempts it took (1 = accepted at once) */
  attempts: number;
}

/** One maze from its own seed (deterministic). Throws when `maxAttempts` attempts all fail. */
export function generateMaze(opts: GeneratorOptions, seed: number): GeneratedMaze {
  const rng = createRng(seed);
  for (let attempt = 1; attempt <= opts.maxAttempts; attempt++) {
    const walls = opts.algorithm === 'carve' ? carveWalls(opts, rng) : randomWalls(opts, rng);
    const maze = placeEnds(walls, opts, rng);
    if (maze) return { ...maze, attempts: attempt };
  }
  throw new Error(
    `maze generator: no ${opts.rows}x${opts.cols} maze with a shortest path of >= ${opts.minPathLength} cells` +
      `${opts.uniquePath ? ' (unique)' : ''} in ${opts.maxAttempts} attempts; lower fetch.min_path_length or change the algorithm`,
  );
}

/** Randomised DFS on the cells with even coordinates, then `loopFraction` of the other walls removed. */
function carveWalls(opts: GeneratorOptions, rng: Rng): Grid {
  const { rows, cols } = opts;
  const cells = new Uint8Array(rows * cols).fill(WALL);
  const nodeRows = (rows + 1) >> 1;
  const nodeCols = (cols + 1) >> 1;
  const visited = new Uint8Array(nodeRows * nodeCols);
  const stack = new Int32Array(nodeRows * nodeCols);
  const start = rng.int(nodeRows * nodeCols);
  let top = 0;
  stack[top++] = start;
  visited[start] = 1;
  cells[cellOfNode(start, nodeCols, cols)] = OPEN;
  const options = new Int32Array(4);
  while (top > 0) {
    const node = stack[top - 1];
    const nr = (node / nodeCols) | 0;
    const nc = node - nr * nodeCols;
    let k = 0;
    if (nr > 0 && !visited[node - nodeCols]) options[k++] = node - nodeCols;
    if (nc > 0 && !visited[node - 1]) options[k++] = node - 1;
    if (nc < nodeCols - 1 && !visited[node + 1]) options[k++] = node + 1;
    if (nr < nodeRows - 1 && !visited[node + nodeCols]) options[k++] = node + nodeCols;
    if (k === 0) {
      top--;
      continue;
    }
    const next = options[rng.int(k)];
    visited[next] = 1;
    const a = cellOfNode(node, nodeCols, cols);
    const b = cellOfNode(next, nodeCols, cols);
    cells[b] = OPEN;
    cells[(a + b) >> 1] = OPEN; // the wall between two nodes two cells apart
    stack[top++] = next;
  }
  for (let i = 0; i < cells.length; i++) {
    if (cells[i] === WALL && rng.next() < opts.loopFraction) cells[i] = OPEN;
  }
  return { rows, cols, cells };
}

function cellOfNode(node: number, nodeCols: number, cols: number): number {
  const nr = (node / nodeCols) | 0;
  return 2 * nr * cols + 2 * (node - nr * nodeCols);
}

function randomWalls(opts: GeneratorOptions, rng: Rng): Grid {
  const cells = new Uint8Array(opts.rows * opts.cols);
  for (let i = 0; i < cells.length; i++) cells[i] = rng.next() < opts.wallDensity ? WALL : OPEN;
  return { rows: opts.rows, cols: opts.cols, cells };
}

/**
 * Draw S among the open cells, then G among the cells far enough from S. When no cell is far
 * enough, S moves to the cell farthest from it (a "double sweep": the far end of a long path)
 * and G is drawn again; null when that fails too.
 */
function placeEnds(walls: Grid, opts: GeneratorOptions, rng: Rng): Omit<GeneratedMaze, 'attempts'> | null {
  const open: number[] = [];
  for (let i = 0; i < walls.cells.length; i++) if (walls.cells[i] === OPEN) open.push(i);
  if (open.length < 2) return null;
  let s = open[rng.int(open.length)];
  let search = bfs(walls, s);
  let g = drawGoal(search, open, s, opts, rng);
  if (g < 0) {
    s = farthest(search, open);
    search = bfs(walls, s);
    g = drawGoal(search, open, s, opts, rng);
  }
  if (g < 0) return null;
  const cells = walls.cells.slice();
  cells[s] = START;
  cells[g] = GOAL;
  const input: Grid = { rows: walls.rows, cols: walls.cols, cells };
  const path = shortestPath(search, g)!;
  return { input, output: markPath(input, path), pathLength: path.length };
}

/** A random cell whose shortest path from `s` is long enough (and unique if asked); -1 if none. */
function drawGoal(search: BfsResult, open: readonly number[], s: number, opts: GeneratorOptions, rng: Rng): number {
  const candidates: number[] = [];
  for (const v of open) {
    if (v === s || search.dist[v] + 1 < opts.minPathLength) continue;
    if (opts.uniquePath && search.count[v] !== 1) continue;
    candidates.push(v);
  }
  return candidates.length === 0 ? -1 : candidates[rng.int(candidates.length)];
}

/** The first open cell at the largest distance (reachable cells only). */
function farthest(search: BfsResult, open: readonly number[]): number {
  let best = open[0];
  for (const v of open) if (search.dist[v] > search.dist[best]) best = v;
  return best;
}
