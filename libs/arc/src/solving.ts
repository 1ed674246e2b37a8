// An ARC task a person gives (one-file-per-task JSON), for `trm solve` and the web app. An ARC model learns one
// puzzle embedding per augmented copy of every task it was trained on, so a task is solved as the evaluate stage
// solves it: every augmented copy the model knows runs as one row, and the copies vote (evaluateArc itself) for
// the two attempts of each test input.
import { PuzzleInputError, type AnswerCheck, type ExamplePrediction, type Grid, type PuzzleSolving, type RawPuzzle, type SolveContext, type SolveQuery } from '@trm/dataset';
import type { ArcAux } from './aux.ts';
import { evaluateArc } from './evaluate.ts';
import { gridHash } from './hash.ts';
import { ArcFormatError, gridToJson, parseGrid, parseTask } from './parse.ts';
import { cropTokens, gridToCanvas } from './tokens.ts';
import { applyTransform, augmentedName, invertTransform, parseTransform, splitName } from './transform.ts';

const ATTEMPTS = 2;

/** `{train: [...], test: [...]}`, or an object holding one such task under its id (a one-task Kaggle file). */
export function parseTaskText(text: string, name?: string): RawPuzzle {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new PuzzleInputError(`arc: the task is not valid JSON (${(e as Error).message}); expected {"train": [{"input": [[...]], "output": [[...]]}, ...], "test": [{"input": [[...]]}]}`);
  }
  let id = name ?? '';
  if (value && typeof value === 'object' && !Array.isArray(value) && !('train' in value)) {
    const keys = Object.keys(value);
    if (keys.length === 1) {
      id = keys[0];
      value = (value as Record<string, unknown>)[id];
    }
  }
  try {
    return { id, split: 'test', examples: parseTask(value, { file: name ? `${name}.json` : 'the task', task: id || '(unnamed)' }) };
  } catch (e) {
    if (e instanceof ArcFormatError) throw new PuzzleInputError(e.message);
    throw e;
  }
}

/** A submission grid back to a Grid; a prediction without a colour at the canvas origin crops to 0x0 (`[]`). */
const gridOfJson = (rows: number[][]): Grid => ({ rows: rows.length, cols: rows[0]?.length ?? 0, cells: Uint8Array.from(rows.flat()) });

const testExamples = (puzzle: RawPuzzle) => puzzle.examples.filter((e) => e.role === 'test');

/** The task id the model knows this puzzle by: its name, else the test task of aux whose test inputs it has. */
function knownTask(puzzle: RawPuzzle, context: SolveContext): string {
  const tasks = new Set(context.identifiers.map((n) => splitName(n).task));
  if (puzzle.id && tasks.has(puzzle.id)) return puzzle.id;
  const want = testExamples(puzzle).map((e) => gridHash(e.input)).join(',');
  const aux = context.aux as unknown as ArcAux | null;
  for (const [task, { test }] of Object.entries(aux?.test_puzzles ?? {})) {
    if (!tasks.has(task)) continue;
    const have = test.map((p, i) => gridHash(parseGrid(p.input, { file: 'aux.json', task }, `test pair ${i} input`))).join(',');
    if (have === want) return task;
  }
  const named = puzzle.id ? `task ${puzzle.id}` : 'this task';
  throw new PuzzleInputError(
    `arc: the model was not trained on ${named} (an ARC model learns an embedding per task: give a task of its training data, e.g. a file of its test set, named <task id>.json or with the same test inputs)`,
  );
}

export const arcSolving: PuzzleSolving = {
  inputHelp: 'an ARC task as JSON, {"train": [{"input", "output"}, ...], "test": [{"input"}, ...]} (the one-file-per-task layout), of a task the model was trained on',
  parse: (text, _encode, opts) => parseTaskText(text, opts?.name),
  formatPuzzle: (puzzle) => {
    const pairs = (role: 'train' | 'test') =>
      puzzle.examples.filter((e) => e.role === role).map((e) => (e.output ? { input: gridToJson(e.input), output: gridToJson(e.output) } : { input: gridToJson(e.input) }));
    return JSON.stringify({ train: pairs('train'), test: pairs('test') });
  },
  queries(puzzle, _encode, context) {
    const task = knownTask(puzzle, context);
    const tests = testExamples(puzzle);
    const out: SolveQuery[] = [];
    context.identifiers.forEach((name, id) => {
      const parts = splitName(name);
      if (id === 0 || parts.task !== task) return;
      const t = parseTransform(parts.transform);
      // the test split is encoded untranslated, at the canvas origin
      tests.forEach((e, test) => out.push({ test, puzzleIdentifier: id, inputs: gridToCanvas(applyTransform(e.input, t)), transform: parts.transform }));
    });
    return out;
  },
  decodeAnswer: (tokens, query) => invertTransform(cropTokens(tokens), parseTransform(query.transform)),
  answers(puzzle, queries, results, _encode, evaluate) {
    // evaluateArc on this task alone: the same candidates, votes, ranking and attempts as the evaluate stage
    const identifiers = ['<blank>', ...queries.map((q) => augmentedName('task', q.transform))];
    const tests = testExamples(puzzle);
    const aux: ArcAux = { identifiers, test_puzzles: { task: { test: tests.map((e) => ({ input: gridToJson(e.input), output: null })) } } };
    const preds: ExamplePrediction[] = queries.map((q, k) => ({
      index: k, group: 0, puzzleIdentifier: k + 1, inputs: q.inputs, labels: new Uint8Array(q.inputs.length), preds: results[k].preds, qHalt: results[k].qHalt,
    }));
    const { files } = evaluateArc(preds, { ...evaluate, pass_ks: [1], submission_k: ATTEMPTS }, aux as unknown as Record<string, unknown>);
    const submission = (files!['submission.json'] as Record<string, Record<string, number[][]>[]>).task;
    return submission.map((attempts) => Array.from({ length: ATTEMPTS }, (_, a) => gridOfJson(attempts[`attempt_${a + 1}`])));
  },
  formatAnswer: (attempts) => JSON.stringify(attempts.map(gridToJson)),
  renderChanged(grid, changed) {
    const lines: string[] = [];
    for (let r = 0; r < grid.rows; r++) {
      let line = '';
      for (let c = 0; c < grid.cols; c++) line += `${grid.cells[r * grid.cols + c]}${changed[r * grid.cols + c] ? '*' : ' '}`;
      lines.push(line.trimEnd());
    }
    return lines.join('\n');
  },
  changedLegend: 'colours 0-9; d* = changed since the previous step',
  check(example, attempts): AnswerCheck {
    if (!example.output) return { valid: null, reason: 'the task gives no output for this test input' };
    const out = example.output;
    const same = (g: Grid) => g.rows === out.rows && g.cols === out.cols && g.cells.every((v, i) => v === out.cells[i]);
    if (attempts.some(same)) return { valid: true, reason: '' };
    return { valid: false, reason: attempts.length > 1 ? `none of the ${attempts.length} attempts is the expected output` : 'the attempt is not the expected output' };
  },
};
