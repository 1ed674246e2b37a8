// A maze a person types, for `trm solve` and the web app: parse (the CSV's one-string layout or one line per row),
// lay out as one model row on the canvas, check the answer (a valid and shortest S-G path).
import { PuzzleInputError, type AnswerCheck, type Grid, type PuzzleSolving, type RawPuzzle } from '@trm/dataset';
import { clearPath } from './bfs.ts';
import { CELL_CHARS, findUnique, GOAL, parseMaze, PATH, START } from './cells.ts';
import { gridToTokens, mazeExtent, tokensToGrid, type Canvas } from './encode.ts';
import { checkPath } from './evaluate.ts';
import { encodeSchema, option } from './schema.ts';

const canvasOf = (encode: Record<string, unknown>): Canvas => ({
  rows: option<number>(encode, encodeSchema, 'encode', 'rows'),
  cols: option<number>(encode, encodeSchema, 'encode', 'cols'),
});

/** Rows and columns of typed text: one line per row, or one line in the CSV layout (the canvas, or a square). */
function shapeOf(lines: string[], canvas: Canvas): { rows: number; cols: number; text: string } {
  if (lines.length > 1) {
    const cols = lines[0].length;
    const bad = lines.findIndex((l) => l.length !== cols);
    if (bad >= 0) throw new PuzzleInputError(`maze: line ${bad + 1} has ${lines[bad].length} characters, line 1 has ${cols} (every row of a maze is as wide; spaces are open cells)`);
    return { rows: lines.length, cols, text: lines.join('') };
  }
  const text = lines[0];
  const side = Math.round(Math.sqrt(text.length));
  if (text.length === canvas.rows * canvas.cols) return { rows: canvas.rows, cols: canvas.cols, text };
  if (side * side === text.length) return { rows: side, cols: side, text };
  throw new PuzzleInputError(
    `maze: one line of ${text.length} characters is not a maze; expected ${canvas.rows * canvas.cols} (the ${canvas.rows}x${canvas.cols} canvas, row by row as in the CSV) or a square number, or one line per row`,
  );
}

/** The maze of typed text; `o` cells (a path) are cleared. */
export function parseMazeText(text: string, canvas: Canvas): Grid {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  while (lines.length > 0 && lines[0] === '') lines.shift();
  if (lines.length === 0) throw new PuzzleInputError("maze: the puzzle is empty; expected rows of '#' (wall), ' ' (open), one 'S' and one 'G'");
  const { rows, cols, text: cells } = shapeOf(lines, canvas);
  if (rows > canvas.rows || cols > canvas.cols) {
    throw new PuzzleInputError(`maze: a ${rows}x${cols} maze does not fit the ${canvas.rows}x${canvas.cols} canvas the model was trained on`);
  }
  let grid: Grid;
  try {
    grid = clearPath(parseMaze(cells, rows, cols, 'maze'));
    findUnique(grid, START, 'maze');
    findUnique(grid, GOAL, 'maze');
  } catch (e) {
    throw new PuzzleInputError((e as Error).message);
  }
  if (checkPath(grid, grid).shortestCells < 0) throw new PuzzleInputError('maze: G cannot be reached from S');
  return grid;
}

/** valid (walls, S and G kept; `o` cells connect S to G, none astray) and shortest */
export function checkMaze(input: Grid, answer: Grid): AnswerCheck {
  if (answer.rows !== input.rows || answer.cols !== input.cols) return { valid: false, reason: `the answer is ${answer.rows}x${answer.cols}, the maze ${input.rows}x${input.cols}` };
  const c = checkPath(input, answer);
  const cells = Uint8Array.from(input.cells, (v, i) => (v !== answer.cells[i] && !(answer.cells[i] === PATH && v === 1) ? 1 : 0));
  if (!c.valid) return { valid: false, reason: c.reason, cells };
  if (!c.optimal) return { valid: false, reason: `the path has ${c.pathCells} cells, a shortest one ${c.shortestCells}` };
  return { valid: true, reason: '' };
}

const LINE_CHARS = [...CELL_CHARS];

/** One line per row; changed cells: `*` a path cell added, `_` a path cell removed, `!` any other change. */
export function renderChanged(grid: Grid, changed: Uint8Array): string {
  const lines: string[] = [];
  for (let r = 0; r < grid.rows; r++) {
    let line = '';
    for (let c = 0; c < grid.cols; c++) {
      const i = r * grid.cols + c;
      const v = grid.cells[i];
      line += !changed[i] ? LINE_CHARS[v] ?? '?' : v === PATH ? '*' : v === 1 ? '_' : '!';
    }
    lines.push(line);
  }
  return lines.join('\n');
}

const testExamples = (puzzle: RawPuzzle) => puzzle.examples.filter((e) => e.role === 'test');
const lineOf = (grid: Grid) => Array.from(grid.cells, (v) => LINE_CHARS[v] ?? '?').join('');

export const mazeSolving: PuzzleSolving = {
  inputHelp: "a maze: one line per row of '#' (wall), ' ' (open), one 'S' and one 'G'; or one line row by row as in the CSV",
  parse(text, encode, opts) {
    const input = parseMazeText(text, canvasOf(encode));
    return { id: opts?.name ?? 'maze', split: 'test', examples: [{ input, output: null, role: 'test' }] };
  },
  formatPuzzle: (puzzle) => {
    const g = testExamples(puzzle)[0].input;
    return Array.from({ length: g.rows }, (_, r) => lineOf({ rows: 1, cols: g.cols, cells: g.cells.subarray(r * g.cols, (r + 1) * g.cols) })).join('\n');
  },
  queries: (puzzle, encode) => testExamples(puzzle).map((e, test) => ({ test, puzzleIdentifier: 0, inputs: gridToTokens(e.input, canvasOf(encode), 'maze'), transform: '' })),
  decodeAnswer: (tokens, query, encode) => {
    const canvas = canvasOf(encode);
    return tokensToGrid(tokens, canvas, mazeExtent(query.inputs, canvas));
  },
  answers: (puzzle, queries, results, encode) =>
    testExamples(puzzle).map((_, t) => {
      const k = queries.findIndex((q) => q.test === t);
      return [mazeSolving.decodeAnswer(results[k].preds, queries[k], encode)];
    }),
  formatAnswer: (attempts) => lineOf(attempts[0]),
  renderChanged,
  changedLegend: '* = path cell added since the previous step, _ = path cell removed, ! = another cell changed',
  check: (example, attempts) => checkMaze(example.input, attempts[0]),
};
