// Using a trained model on a puzzle a person types (`trm solve`, the web app): the part of a dataset lib that
// parses the text, lays the puzzle out as model rows, turns predictions back into answers, and checks them.
// Optional in DatasetLib (`solving`); the three shipped datasets implement it.
import type { AuxArtifacts, Grid, RawExample, RawPuzzle } from './contract.ts';

/** Bad input from a person (wrong length, characters, board size): one line that says what was expected. */
export class PuzzleInputError extends Error {
  override name = 'PuzzleInputError';
}

/** One model row of a typed puzzle. */
export interface SolveQuery {
  /** index of the test example (RawPuzzle.examples with role `test`, in order) this row answers */
  test: number;
  /** the puzzle identifier the row runs with (0 = blank; ARC: an augmented copy of the task) */
  puzzleIdentifier: number;
  /** [seq_len] tokens */
  inputs: Uint8Array;
  /** augmentation applied to the input ('' = none); `decodeAnswer` undoes it */
  transform: string;
}

/** Whether an answer is right by the task's rules. */
export interface AnswerCheck {
  /** true: keeps the task's rules; false: breaks one (see reason); null: cannot be told (ARC without a known output) */
  valid: boolean | null;
  /** '' when valid; else which rule is broken, e.g. `row 2 holds 5 twice` */
  reason: string;
  /** cells (one entry per cell of the answer, non-zero = involved) that break the rule, where the lib can tell */
  cells?: Uint8Array;
}

/** What the model's run knows beside the weights: the encode stage's identifiers and side artifacts. */
export interface SolveContext {
  /** index = puzzle identifier, as encode writes identifiers.json (`["<blank>"]` for Sudoku and mazes) */
  identifiers: readonly string[];
  /** encode's aux.json (ARC: the test tasks), null when the dataset writes none */
  aux: AuxArtifacts | null;
}

/** The final rows of a puzzle: the prediction after the last supervision step and its q_halt logit. */
export interface QueryResult {
  preds: Uint8Array;
  qHalt: number;
}

export interface PuzzleSolving {
  /** what `parse` accepts, in one line (for --help, errors and the web page) */
  readonly inputHelp: string;
  /**
   * A puzzle from the text a person types, for a model trained with this `encode` section. Throws PuzzleInputError
   * (one line) on wrong length, characters or a size the model was not trained for. `name` (a file name) may name
   * the puzzle (ARC: the task id).
   */
  parse(text: string, encode: Record<string, unknown>, opts?: { name?: string }): RawPuzzle;
  /** the puzzle as text `parse` accepts (to fill the board with a test puzzle) */
  formatPuzzle(puzzle: RawPuzzle): string;
  /**
   * The model rows of a parsed puzzle: Sudoku and mazes one row per test example (identifier 0); ARC one per
   * augmented copy of each test input that the model has a puzzle identifier for. Throws PuzzleInputError when the
   * model cannot run the puzzle (an ARC task it was not trained on).
   */
  queries(puzzle: RawPuzzle, encode: Record<string, unknown>, context: SolveContext): SolveQuery[];
  /** one row's predicted tokens as a grid in the frame of the typed puzzle (augmentation undone) */
  decodeAnswer(tokens: Uint8Array, query: SolveQuery, encode: Record<string, unknown>): Grid;
  /**
   * The attempts (best first) for every test example from the last step of its rows (`results[i]` belongs to
   * `queries[i]`): one for Sudoku and mazes; ARC votes over the augmented copies exactly as its evaluate does.
   */
  answers(puzzle: RawPuzzle, queries: SolveQuery[], results: QueryResult[], encode: Record<string, unknown>, evaluate: Record<string, unknown>): Grid[][];
  /** attempts in the text form `trm solve --json` prints as `answer` (Sudoku: one line; maze: the CSV layout; ARC: JSON) */
  formatAnswer(attempts: Grid[]): string;
  /** a text picture of a grid with the `changed` cells (non-zero) marked as `changedLegend` says */
  renderChanged(grid: Grid, changed: Uint8Array): string;
  /** one line: how renderChanged marks cells */
  readonly changedLegend: string;
  /** the task's rules: does `attempts` answer `example` (the first attempt for Sudoku and mazes; any of them for ARC) */
  check(example: RawExample, attempts: Grid[]): AnswerCheck;
}

/** 1 where the two grids differ (a different shape marks every cell). */
export function changedCells(prev: Grid | null, next: Grid): Uint8Array {
  const out = new Uint8Array(next.cells.length);
  const sameShape = prev !== null && prev.rows === next.rows && prev.cols === next.cols;
  for (let i = 0; i < out.length; i++) out[i] = !sameShape || prev.cells[i] !== next.cells[i] ? 1 : 0;
  return out;
}
