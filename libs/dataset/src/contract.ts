import type { LineOptions } from './lines.ts';

// The one contract every dataset lib implements and that the pipeline alone consumes.
// Dataset libs are pure: they never touch the file system or the network themselves; the
// pipeline hands them a `SourceIO` (the "catalog" side) and stores what they return.
import type { PuzzleSolving } from './solving.ts';

/** A rectangular grid of cell values in the dataset's own alphabet (not tokens). */
export interface Grid {
  rows: number;
  cols: number;
  /** row-major, length rows*cols */
  cells: Uint8Array;
}

/** One (input, output) pair. ARC puzzles have several; Sudoku and Maze have one. */
export interface RawExample {
  input: Grid;
  /** null where the source has no answer (e.g. an ARC test input without solution) */
  output: Grid | null;
  /** `train` = demonstration pair, `test` = the pair to solve (ARC); Sudoku/Maze use `test`. */
  role: 'train' | 'test';
  /**
   * ARC translation: top-left position of input and output inside the 30x30 canvas, set by `augment` on training
   * examples and consumed by `encode`; absent = (0, 0). Other datasets leave it out.
   */
  offset?: { row: number; col: number };
}

/** A puzzle as fetched from a source, before augmentation. */
export interface RawPuzzle {
  /** stable, unique within its split (e.g. `train-000123`, an ARC task id) */
  id: string;
  split: 'train' | 'test';
  examples: RawExample[];
  /** difficulty where the source has one (Sudoku: solver backtracks) */
  rating?: number;
  /** where it came from, e.g. `generator`, `hf:sapientinc/sudoku-extreme/train.csv` */
  source?: string;
}

/** One augmented copy of a puzzle; a group is the original (augIndex 0) and its copies. */
export interface AugmentedPuzzle {
  split: 'train' | 'test';
  /** index of the group (original puzzle) within its split, 0-based, dense */
  group: number;
  /** 0 = the original, kept first */
  augIndex: number;
  /**
   * identifier name; the encode stage maps each distinct name to a puzzle identifier (1, 2, ... in order of first
   * appearance, train split first). The empty name `""` maps to the blank identifier 0: Sudoku and Maze use it for
   * every puzzle, as the reference builder does (num_puzzle_identifiers = 1); ARC names every augmented task.
   */
  name: string;
  /** serialised transform, enough for `inverse` to undo it (`""` = identity) */
  transform: string;
  examples: RawExample[];
}

/** Token layout of one example, as the model sees it. */
export interface EncodedExample {
  /** length seqLen, token ids, 0 = PAD */
  inputs: Uint8Array;
  /** length seqLen, token ids; positions equal to `ignoreLabelId` are ignored by the loss */
  labels: Uint8Array;
}

/** Dataset-level facts written into the encoded artifact (spec section 1). */
export interface DatasetShape {
  vocabSize: number;
  seqLen: number;
  padId: 0;
  /** label token treated as "ignore" (becomes -100 for the loss); null = none */
  ignoreLabelId: number | null;
  /** readable names of the tokens, index = token id */
  tokenNames: readonly string[];
}

/** I/O the pipeline provides to `fetch`. Paths are resolved by the pipeline (repo root). */
export interface SourceIO {
  /**
   * download into the artifact cache (resume, retry what a retry can fix, progress, sha256); returns a local path.
   * `url` is https:// or a Hugging Face file `hf://datasets/<owner>/<name>@<revision>/<path>` (the pipeline applies
   * the Hub's HF_ENDPOINT, HF_TOKEN and HF_HUB_OFFLINE). `hint`: what to do instead when it fails (e.g. a local-file
   * source that works offline), added to the error.
   */
  download(url: string, opts?: { sha256?: string; name?: string; hint?: string }): Promise<string>;
  /** a whole file (errors name the path: not found, a folder, too large to be one string) */
  readText(path: string): Promise<string>;
  readBytes(path: string): Promise<Uint8Array>;
  /**
   * the lines of a text file, streamed, without their line breaks: memory stays bounded by `maxLineBytes`, and a
   * longer line stops the read with a LineTooLongError naming the file and the line (CSV and list sources use this)
   */
  readLines(path: string, opts: LineOptions): AsyncIterable<string>;
  /** file names (not paths) in a folder, sorted */
  listDir(path: string): Promise<string[]>;
  exists(path: string): Promise<boolean>;
  join(...parts: string[]): string;
  /** a progress bar for long work; call tick(n) as items complete */
  progress(label: string, total: number): { tick(n?: number): void; done(): void };
  log(message: string): void;
}

/** Minimal schema language for config sections (validated by the pipeline). */
export type FieldSchema =
  | { type: 'number' | 'integer'; description: string; default?: number; min?: number; max?: number; optional?: boolean }
  | { type: 'string'; description: string; default?: string; optional?: boolean }
  | { type: 'boolean'; description: string; default?: boolean; optional?: boolean }
  | { type: 'enum'; description: string; values: readonly string[]; default?: string; optional?: boolean }
  | { type: 'array'; description: string; items: FieldSchema; default?: unknown[]; optional?: boolean }
  | { type: 'object'; description: string; fields: Record<string, FieldSchema>; optional?: boolean };

export type SectionSchema = Record<string, FieldSchema>;

/** One prediction of the model for one test example, as the evaluate stage hands it over. */
export interface ExamplePrediction {
  /** row in the encoded test table */
  index: number;
  group: number;
  puzzleIdentifier: number;
  inputs: Uint8Array;
  labels: Uint8Array;
  preds: Uint8Array;
  /** q_halt logit at the last supervision step */
  qHalt: number;
}

/** A JSON-serialisable side artifact a dataset lib wants kept beside the encoded tables. */
export type AuxArtifacts = Record<string, unknown>;

export interface DatasetLib {
  /** short name used in configs (`dataset: sudoku`) */
  readonly name: string;
  readonly description: string;
  /** schema of the dataset-owned keys of each stage section */
  readonly schema: { fetch: SectionSchema; augment: SectionSchema; encode: SectionSchema; evaluate: SectionSchema };
  /** token layout for a given encode section */
  shape(encode: Record<string, unknown>): DatasetShape;

  /** parse/generate/download the raw puzzles of both splits */
  fetch(cfg: Record<string, unknown>, io: SourceIO): Promise<RawPuzzle[]>;
  /**
   * Augment one split, yielding groups (original first). `seed` makes it deterministic.
   * Must stream: yield each group as soon as it is built.
   * `puzzles` are ALL fetched puzzles (both splits); the lib yields the groups of `split` only. (ARC needs the
   * train-split half of a test task to give both halves the same augmented copies and names.)
   */
  augment(puzzles: RawPuzzle[], cfg: Record<string, unknown>, seed: number, split: 'train' | 'test'): Iterable<AugmentedPuzzle[]>;
  /** undo `transform` on an output grid (ARC voting); identity for datasets that do not need it */
  inverse(grid: Grid, transform: string): Grid;

  encode(example: RawExample, cfg: Record<string, unknown>): EncodedExample;
  decode(tokens: Uint8Array, cfg: Record<string, unknown>): Grid;
  /** side artifacts for evaluation (e.g. ARC test tasks); written as JSON by encode */
  auxArtifacts?(puzzles: RawPuzzle[], augmented: { name: string; transform: string; split: string }[]): AuxArtifacts;

  renderText(grid: Grid): string;
  /**
   * an SVG document; `wrong` marks cells (same length as cells) in red; `givens` (same length, non-zero = given)
   * lets a lib draw the cells of the puzzle differently from the ones the model filled in
   */
  renderSvg(grid: Grid, opts?: { wrong?: Uint8Array; givens?: Uint8Array; title?: string; cellSize?: number }): string;

  /** task-specific metrics on top of exact/token accuracy (Maze: path validity; ARC: pass@K) */
  evaluate(preds: ExamplePrediction[], cfg: Record<string, unknown>, aux: AuxArtifacts | null): TaskEvaluation;

  /** using a trained model on a typed puzzle (`trm solve`, the web app); absent = the dataset cannot be solved interactively */
  readonly solving?: PuzzleSolving;
}

export interface TaskEvaluation {
  metrics: Record<string, number>;
  /** extra files the evaluate stage writes (e.g. ARC `submission.json`) */
  files?: Record<string, unknown>;
}
