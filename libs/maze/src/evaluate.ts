import type { ExamplePrediction, Grid, TaskEvaluation } from '@trm/dataset';
import { GOAL, OPEN, PATH, START } from './cells.ts';
import { bfs } from './bfs.ts';
import { tokensToGrid, mazeExtent, type Canvas } from './encode.ts';

// Maze task metrics. A predicted path is *valid* when the prediction keeps every wall, S and G of
// the input, marks only open cells with `o`, G can be reached from S by stepping through `o` cells
// only, and every `o` cell lies on that connected S-G region (no stray marks). It is *optimal*
// when it is valid and has exactly as many `o` cells as a BFS shortest path (then the `o` cells
// are a shortest path: fewer cannot connect S to G, more would not be optimal).

export interface PathCheck {
  valid: boolean;
  optimal: boolean;
  /** number of `o` cells predicted */
  pathCells: number;
  /** `o` cells of a shortest path (BFS distance - 1); -1 when G is unreachable in the input */
  shortestCells: number;
  /** why the path is not valid ('' when valid) */
  reason: string;
}

/** Check a predicted grid against its input maze (both in cell values, same size). */
export function checkPath(input: Grid, pred: Grid): PathCheck {
  const n = input.cells.length;
  let s = -1;
  let g = -1;
  let pathCells = 0;
  let reason = '';
  for (let i = 0; i < n; i++) {
    const a = input.cells[i];
    const p = pred.cells[i];
    if (a === START) s = i;
    if (a === GOAL) g = i;
    if (p === PATH) pathCells++;
    if (reason) continue;
    if (a === OPEN ? p !== OPEN && p !== PATH : p !== a) reason = `cell ${i} changed`;
  }
  const shortest = s >= 0 && g >= 0 ? bfs(input, s).dist[g] : -1;
  const shortestCells = shortest < 0 ? -1 : shortest - 1;
  if (!reason && (s < 0 || g < 0 || shortest < 0)) reason = 'the input has no S-G path';
  if (!reason) reason = connectionProblem(pred, s, g, pathCells);
  const valid = reason === '';
  return { valid, optimal: valid && pathCells === shortestCells, pathCells, shortestCells, reason };
}

/** '' when S reaches G through `o` cells and every `o` cell is reached; otherwise the reason. */
function connectionProblem(pred: Grid, s: number, g: number, pathCells: number): string {
  const { rows, cols, cells } = pred;
  const seen = new Uint8Array(cells.length);
  const queue = new Int32Array(cells.length);
  let head = 0;
  let tail = 0;
  let reachedPath = 0;
  let reachedGoal = false;
  seen[s] = 1;
  queue[tail++] = s;
  while (head < tail) {
    const u = queue[head++];
    const r = (u / cols) | 0;
    const c = u - r * cols;
    for (const v of [r > 0 ? u - cols : -1, c > 0 ? u - 1 : -1, c < cols - 1 ? u + 1 : -1, r < rows - 1 ? u + cols : -1]) {
      if (v < 0 || seen[v]) continue;
      if (v === g) reachedGoal = true;
      if (cells[v] !== PATH) continue;
      seen[v] = 1;
      reachedPath++;
      queue[tail++] = v;
    }
  }
  if (!reachedGoal) return 'the o cells do not connect S to G';
  if (reachedPath !== pathCells) return `${pathCells - reachedPath} o cells off the S-G path`;
  return '';
}

/** The canvas of the encoded tokens: evaluate.rows/cols when given, else a square of seq_len cells. */
export function canvasOf(seqLen: number, rows?: number, cols?: number): Canvas {
  if (rows !== undefined && cols !== undefined) {
    if (rows * cols !== seqLen) throw new Error(`maze evaluate: evaluate.rows x evaluate.cols = ${rows * cols} but sequences have ${seqLen} tokens`);
    return { rows, cols };
  }
  const side = Math.round(Math.sqrt(seqLen));
  if (side * side !== seqLen) {
    throw new Error(`maze evaluate: ${seqLen} tokens is not a square canvas; set evaluate.rows and evaluate.cols to encode.rows/cols`);
  }
  return { rows: side, cols: side };
}

export function evaluateMazes(preds: ExamplePrediction[], canvasFor: (seqLen: number) => Canvas): TaskEvaluation {
  let valid = 0;
  let optimal = 0;
  let exact = 0;
  let excess = 0;
  for (const p of preds) {
    const canvas = canvasFor(p.inputs.length);
    const extent = mazeExtent(p.inputs, canvas);
    const input = tokensToGrid(p.inputs, canvas, extent);
    const label = tokensToGrid(p.labels, canvas, extent);
    const pred = tokensToGrid(p.preds, canvas, extent);
    const check = checkPath(input, pred);
    if (check.valid) {
      valid++;
      excess += check.pathCells - check.shortestCells;
    }
    if (check.optimal) optimal++;
    if (label.cells.every((v, i) => v === pred.cells[i])) exact++;
  }
  const n = Math.max(1, preds.length);
  return {
    metrics: {
      maze_examples: preds.length,
      maze_exact_accuracy: exact / n,
      valid_path_rate: valid / n,
      optimal_path_rate: optimal / n,
      /** mean number of extra `o` cells over the valid paths (0 = every valid path is shortest) */
      mean_path_excess: valid > 0 ? excess / valid : 0,
    },
  };
}

