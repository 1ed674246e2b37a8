// A Sudoku a person types, for `trm solve` and the web app: parse, lay out as one model row, check the answer.
import { PuzzleInputError, type AnswerCheck, type Grid, type PuzzleSolving, type RawExample, type RawPuzzle } from '@trm/dataset';
import { BOX_SHAPES, boardSpec, cellsToString, parseCells, type BoardSpec } from './board.ts';
import { readSize } from './config.ts';

/** Characters a person may put between cells (renderText's layout pastes back): spaces, newlines, | - + */
const LAYOUT = /[\s|+\-]/g;

const describe = (spec: BoardSpec) => `${spec.cells} cells (a ${spec.n}x${spec.n} board: digits 1-${spec.n}, '.' or '0' for blanks)`;

/** The puzzle's cells (0 = blank) from typed text, for a model trained on `n`x`n` boards. */
export function parsePuzzleText(text: string, n: number): Uint8Array {
  const spec = boardSpec(n);
  const line = text.replace(LAYOUT, '');
  if (line.length === 0) throw new PuzzleInputError(`sudoku: the puzzle is empty; expected ${describe(spec)}`);
  if (line.length !== spec.cells) {
    const side = Math.round(Math.sqrt(line.length));
    if (side * side === line.length && BOX_SHAPES[side]) {
      throw new PuzzleInputError(`sudoku: a ${side}x${side} board (${line.length} cells), but the model was trained on ${n}x${n} boards (${spec.cells} cells)`);
    }
    throw new PuzzleInputError(`sudoku: expected ${describe(spec)}, found ${line.length} characters`);
  }
  const cells = parseCells(line, spec, true);
  if (typeof cells === 'string') throw new PuzzleInputError(`sudoku: ${cells}`);
  const clash = firstClash(cells, spec);
  if (clash) throw new PuzzleInputError(`sudoku: the givens break the rules: ${clash.reason}`);
  return cells;
}

const UNIT_NAMES = ['row', 'column', 'box'] as const;

/** The first row, column or box holding a digit twice, with its cells; null when there is none. */
function firstClash(cells: Uint8Array, spec: BoardSpec): { reason: string; cells: Uint8Array } | null {
  const units = [spec.rowOf, spec.colOf, spec.boxOf];
  for (let u = 0; u < 3; u++) {
    const of = units[u];
    for (let k = 0; k < spec.n; k++) {
      const seen = new Int32Array(spec.n + 1).fill(-1);
      for (let i = 0; i < spec.cells; i++) {
        const d = cells[i];
        if (of[i] !== k || d === 0) continue;
        if (seen[d] >= 0) {
          const mark = new Uint8Array(spec.cells);
          mark[seen[d]] = 1;
          mark[i] = 1;
          return { reason: `${UNIT_NAMES[u]} ${k + 1} holds ${d} twice`, cells: mark };
        }
        seen[d] = i;
      }
    }
  }
  return null;
}

const where = (i: number, n: number) => `row ${Math.floor(i / n) + 1}, column ${(i % n) + 1}`;

/** Sudoku rules: every cell filled, the givens kept, no digit twice in a row, column or box. */
export function checkSudoku(puzzle: Uint8Array, answer: Grid): AnswerCheck {
  const spec = boardSpec(answer.rows);
  const n = spec.n;
  if (answer.cells.length !== puzzle.length) return { valid: false, reason: `the answer has ${answer.cells.length} cells, the puzzle ${puzzle.length}` };
  const mark = (pred: (i: number) => boolean) => Uint8Array.from(answer.cells, (_, i) => (pred(i) ? 1 : 0));
  const empty = mark((i) => answer.cells[i] === 0);
  const emptyCount = empty.reduce((a, b) => a + b, 0);
  if (emptyCount > 0) {
    const first = empty.indexOf(1);
    return { valid: false, reason: `${emptyCount} cell${emptyCount > 1 ? 's' : ''} left empty (first: ${where(first, n)})`, cells: empty };
  }
  const changed = mark((i) => puzzle[i] !== 0 && puzzle[i] !== answer.cells[i]);
  const first = changed.indexOf(1);
  if (first >= 0) return { valid: false, reason: `the given ${puzzle[first]} at ${where(first, n)} was changed to ${answer.cells[first]}`, cells: changed };
  const clash = firstClash(answer.cells, spec);
  if (clash) return { valid: false, reason: clash.reason, cells: clash.cells };
  return { valid: true, reason: '' };
}

/** renderText's layout, 3 characters a cell, changed cells in brackets: ` 1 [2] 3 | 4  5  6 ` */
export function renderChanged(grid: Grid, changed: Uint8Array): string {
  const { n, boxRows, boxCols } = boardSpec(grid.rows);
  const lines: string[] = [];
  const rule = Array.from({ length: n / boxCols }, () => '-'.repeat(boxCols * 3)).join('+');
  for (let r = 0; r < n; r++) {
    if (r > 0 && r % boxRows === 0) lines.push(rule);
    let line = '';
    for (let c = 0; c < n; c++) {
      if (c > 0 && c % boxCols === 0) line += '|';
      const i = r * n + c;
      const ch = grid.cells[i] === 0 ? '.' : String(grid.cells[i]);
      line += changed[i] ? `[${ch}]` : ` ${ch} `;
    }
    lines.push(line.trimEnd());
  }
  return lines.join('\n');
}

const tokensOf = (cells: Uint8Array) => Uint8Array.from(cells, (d) => d + 1); // blank 1, digit d -> d + 1

function decodeTokens(tokens: Uint8Array, n: number): Grid {
  const cells = Uint8Array.from(tokens, (t) => (t >= 2 && t <= n + 1 ? t - 1 : 0)); // PAD, blank, out of range: empty
  return { rows: n, cols: n, cells };
}

const testExamples = (puzzle: RawPuzzle) => puzzle.examples.filter((e) => e.role === 'test');

export const sudokuSolving: PuzzleSolving = {
  inputHelp: "a Sudoku as one line of digits, '.' or '0' for blanks, row by row (spaces, newlines and | - + between cells are ignored)",
  parse(text, encode, opts) {
    const n = readSize(encode, 'encode');
    const input: Grid = { rows: n, cols: n, cells: parsePuzzleText(text, n) };
    return { id: opts?.name ?? 'puzzle', split: 'test', examples: [{ input, output: null, role: 'test' }] };
  },
  formatPuzzle: (puzzle) => cellsToString(testExamples(puzzle)[0].input.cells),
  queries: (puzzle) => testExamples(puzzle).map((e, test) => ({ test, puzzleIdentifier: 0, inputs: tokensOf(e.input.cells), transform: '' })),
  decodeAnswer: (tokens, _query, encode) => decodeTokens(tokens, readSize(encode, 'encode')),
  answers: (puzzle, queries, results, encode) => {
    const n = readSize(encode, 'encode');
    return testExamples(puzzle).map((_, t) => [decodeTokens(results[queries.findIndex((q) => q.test === t)].preds, n)]);
  },
  formatAnswer: (attempts) => cellsToString(attempts[0].cells),
  renderChanged,
  changedLegend: '[d] = changed since the previous step',
  check: (example: RawExample, attempts) => checkSudoku(example.input.cells, attempts[0]),
};
