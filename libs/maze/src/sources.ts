import type { Grid, RawPuzzle, SourceIO } from '@trm/dataset';
import { column, csvRows, excerpt, headerColumn, parseCsv, parseNpy } from '@trm/dataset';
import { deriveSeed } from '@trm/augment';
import { CELL_CHARS, GOAL, OPEN, PATH, START, findUnique, mazeToString, parseMaze } from './cells.ts';
import { generateMaze, type GeneratorOptions } from './generator.ts';
import { checkPath } from './evaluate.ts';

// The four sources of raw mazes. Each returns the puzzles of both splits, train first.

type Split = 'train' | 'test';
const SPLITS: readonly Split[] = ['train', 'test'];

export const HF_REPO = 'sapientinc/maze-30x30-hard-1k';

/**
 * No commit or sha256 of sapientinc/maze-30x30-hard-1k was available to pin: the default revision is `main`, and
 * the first download of each file records its sha256 (later reads are checked against that record). Set
 * fetch.revision and fetch.train_sha256/test_sha256 to pin them.
 */
export function hfUrl(file: string, revision = 'main'): string {
  return `hf://datasets/${HF_REPO}@${encodeURIComponent(revision)}/${file}`;
}

const OFFLINE_HINT = 'without network, put the CSV files on disk and use fetch.source=csv with fetch.train_path/test_path (the same question,answer columns), or point HF_ENDPOINT at a mirror';

export function puzzleId(split: Split, index: number): string {
  return `${split}-${String(index).padStart(6, '0')}`;
}

/** Generated mazes; maze i of a split has its own seed, so counts can change without reshuffling the others. */
export function generatePuzzles(opts: GeneratorOptions, seed: number, counts: Record<Split, number>, io?: SourceIO): RawPuzzle[] {
  const puzzles: RawPuzzle[] = [];
  const seen = new Set<string>(); // no maze twice, and none shared by train and test
  for (const split of SPLITS) {
    const bar = io?.progress(`generate ${split} mazes`, counts[split]);
    for (let i = 0, k = 0; i < counts[split]; k++) {
      if (k > counts[split] + opts.maxAttempts) {
        throw new Error(`maze generator: too many duplicate ${opts.rows}x${opts.cols} mazes; raise the size or lower fetch.${split}_count`);
      }
      const maze = generateMaze(opts, deriveSeed(seed, 'maze', split, k));
      const key = mazeToString(maze.input);
      if (seen.has(key)) continue;
      seen.add(key);
      puzzles.push({
        id: puzzleId(split, i),
        split,
        examples: [{ input: maze.input, output: maze.output, role: 'test' }],
        rating: maze.pathLength,
        source: 'generator',
      });
      i++;
      bar?.tick();
    }
    bar?.done();
  }
  return puzzles;
}

/**
 * Check that `output` is `input` with some open cells marked as path and nothing else changed, and that the `o`
 * cells form a path from S to G (every `o` cell on it). A path that is valid but longer than the shortest one is
 * returned as `false` (callers count those). Errors name `where`; a path that does not hold together in a
 * rows x cols grid but does in another shape of the same size says so (fetch.rows/cols wrong, the CSV has no row breaks).
 */
export function checkLabel(input: Grid, output: Grid, where: string): boolean {
  findUnique(input, START, `${where} question`);
  findUnique(input, GOAL, `${where} question`);
  for (let i = 0; i < input.cells.length; i++) {
    const a = input.cells[i];
    const b = output.cells[i];
    if (a === PATH) throw new Error(`${where} question: path cell "o" at offset ${i}; the question must not contain the path`);
    if (a !== b && !(a === OPEN && b === PATH)) {
      throw new Error(`${where} answer: offset ${i} changes "${CELL_CHARS[a] ?? a}" into "${CELL_CHARS[b] ?? b}"; the answer may only mark open cells with "o"`);
    }
  }
  const check = checkPath(input, output);
  if (check.valid) return check.optimal;
  const shape = otherShape(input, output);
  const hint = shape ? `; as ${shape} mazes it would be valid: set fetch.rows and fetch.cols to the mazes' size (${input.rows}x${input.cols} now)` : '';
  throw new Error(`${where} answer: not a path from S to G (${check.reason}); the answer marks the S-G path with "o"${hint}`);
}

/** `RxC` for another grid shape of the same cell count in which the answer is a valid path, or null. */
function otherShape(input: Grid, output: Grid): string | null {
  const n = input.cells.length;
  for (let rows = 3; rows <= n / 3; rows++) {
    const cols = n / rows;
    if (!Number.isInteger(cols) || rows === input.rows) continue;
    if (checkPath({ rows, cols, cells: input.cells }, { rows, cols, cells: output.cells }).valid) return `${rows}x${cols}`;
  }
  return null;
}

/** The longest CSV line a maze of this size can need: two grids (quoted, quotes doubled) and a little more. */
export function maxMazeLine(size: { rows: number; cols: number }): number {
  return 2 * (2 * size.rows * size.cols + 2) + 1024;
}

/** One maze of a CSV row (columns question, answer; optional source, rating). Spaces are cells: nothing is trimmed. */
function mazeOfRow(header: readonly string[], fields: readonly string[], where: string, split: Split, index: number, size: { rows: number; cols: number }, defaultSource: string): { puzzle: RawPuzzle; optimal: boolean } {
  const q = headerColumn(header, 'question', where.replace(/ row \d+$/, ''));
  const a = headerColumn(header, 'answer', where.replace(/ row \d+$/, ''));
  const src = header.indexOf('source');
  const rating = header.indexOf('rating');
  const input = parseMaze(fields[q], size.rows, size.cols, `${where} field "question"`);
  const output = parseMaze(fields[a], size.rows, size.cols, `${where} field "answer"`);
  const optimal = checkLabel(input, output, where);
  const puzzle: RawPuzzle = {
    id: puzzleId(split, index),
    split,
    examples: [{ input, output, role: 'test' }],
    source: src >= 0 && fields[src] !== '' ? fields[src] : defaultSource,
  };
  if (rating >= 0 && fields[rating] !== '') {
    const value = Number(fields[rating]);
    if (!Number.isFinite(value)) throw new Error(`${where} field "rating": expected a number, found ${JSON.stringify(excerpt(fields[rating], 20))}`);
    puzzle.rating = value;
  }
  return { puzzle, optimal };
}

function warnNotShortest(io: Pick<SourceIO, 'log'> | undefined, file: string, rows: number[], total: number, unit: 'rows' | 'examples' = 'rows'): void {
  if (!rows.length || !io) return;
  io.log(`${file}: warning: ${rows.length} of ${total} answers are valid S-G paths longer than the shortest one (${unit} ${rows.slice(0, 10).join(', ')}${rows.length > 10 ? ', ...' : ''}); kept`);
}

/** Parse the text of one CSV file of mazes (columns question, answer; optional source, rating). */
export function parseMazeCsv(
  text: string,
  file: string,
  split: Split,
  size: { rows: number; cols: number },
  defaultSource: string,
  limit?: number,
): RawPuzzle[] {
  const table = parseCsv(text, file);
  column(table, 'question', file);
  column(table, 'answer', file);
  const rows = limit === undefined ? table.rows : table.rows.slice(0, limit);
  return rows.map((row, r) => mazeOfRow(table.header, row, `${file} row ${r + 2}`, split, r, size, defaultSource).puzzle);
}

/** One CSV file of mazes read as a stream of lines (bounded memory, a line-length limit that fits the size). */
export async function readMazeCsv(
  io: SourceIO,
  path: string,
  file: string,
  split: Split,
  size: { rows: number; cols: number },
  defaultSource: string,
  limit?: number,
): Promise<RawPuzzle[]> {
  const out: RawPuzzle[] = [];
  const longer: number[] = [];
  const lines = io.readLines(path, { maxLineBytes: maxMazeLine(size), what: `a CSV row of two ${size.rows}x${size.cols} mazes` });
  for await (const { header, row, fields } of csvRows(lines, file)) {
    if (limit !== undefined && out.length >= limit) break;
    const { puzzle, optimal } = mazeOfRow(header, fields, `${file} row ${row}`, split, out.length, size, defaultSource);
    if (!optimal) longer.push(row);
    out.push(puzzle);
  }
  warnNotShortest(io, file, longer, out.length);
  return out;
}

export async function fetchCsv(
  io: SourceIO,
  paths: Record<Split, string>,
  size: { rows: number; cols: number },
  limits: Partial<Record<Split, number>>,
): Promise<RawPuzzle[]> {
  const out: RawPuzzle[] = [];
  for (const split of SPLITS) {
    if (!(await io.exists(paths[split]))) throw new Error(`maze csv source: ${split} file not found: ${paths[split]} (fetch.${split}_path)`);
    out.push(...(await readMazeCsv(io, paths[split], paths[split], split, size, `csv:${paths[split]}`, limits[split])));
  }
  return out;
}

export async function fetchHuggingface(io: SourceIO, limits: Partial<Record<Split, number>>, pin: { revision: string; sha256: Partial<Record<Split, string>> } = { revision: 'main', sha256: {} }): Promise<RawPuzzle[]> {
  const out: RawPuzzle[] = [];
  for (const split of SPLITS) {
    const file = `${split}.csv`;
    const name = `maze-30x30-hard-1k-${pin.revision === 'main' ? '' : `${pin.revision.slice(0, 12)}-`}${file}`;
    const local = await io.download(hfUrl(file, pin.revision), { name, sha256: pin.sha256[split], hint: OFFLINE_HINT });
    out.push(...(await readMazeCsv(io, local, local, split, { rows: 30, cols: 30 }, `hf:${HF_REPO}/${file}`, limits[split])));
  }
  return out;
}

/**
 * The reference builder's folder (`train/`, `test/` with `all__*.npy`). Tokens are cell + 1. Where a group
 * holds augmented copies, only its first puzzle (the original) is kept: augmentation is redone by `augment`.
 */
export async function fetchReferenceNpy(
  io: SourceIO,
  folder: string,
  size: { rows: number; cols: number },
  limits: Partial<Record<Split, number>>,
): Promise<RawPuzzle[]> {
  const out: RawPuzzle[] = [];
  for (const split of SPLITS) {
    const read = async (name: string) => {
      const path = io.join(folder, split, `all__${name}.npy`);
      if (!(await io.exists(path))) throw new Error(`maze reference-npy source: missing ${path} (fetch.path = ${folder})`);
      return { path, array: parseNpy(await io.readBytes(path), path) };
    };
    const inputs = await read('inputs');
    const labels = await read('labels');
    const puzzleIndices = (await read('puzzle_indices')).array.data;
    const groupIndices = (await read('group_indices')).array.data;
    const seqLen = size.rows * size.cols;
    for (const { path, array } of [inputs, labels]) {
      if (array.shape.length !== 2 || array.shape[1] !== seqLen) {
        throw new Error(`${path}: expected shape [N, ${seqLen}] (${size.rows}x${size.cols} mazes, fetch.rows/cols), found [${array.shape.join(', ')}]`);
      }
    }
    const groups = groupIndices.length - 1;
    const longer: number[] = [];
    const count = limits[split] === undefined ? groups : Math.min(groups, limits[split]!);
    for (let g = 0; g < count; g++) {
      const example = puzzleIndices[groupIndices[g]]; // first example of the group's first puzzle
      const where = `${inputs.path} example ${example}`;
      const input = gridFromTokens(inputs.array.data, example, size, where);
      const output = gridFromTokens(labels.array.data, example, size, `${labels.path} example ${example}`);
      if (!checkLabel(input, output, where)) longer.push(example);
      out.push({ id: puzzleId(split, g), split, examples: [{ input, output, role: 'test' }], source: `reference-npy:${folder}/${split}` });
    }
    warnNotShortest(io, labels.path, longer, count, 'examples');
  }
  return out;
}

function gridFromTokens(data: ArrayLike<number>, example: number, size: { rows: number; cols: number }, where: string): Grid {
  const n = size.rows * size.cols;
  const cells = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const token = data[example * n + i];
    if (token < 1 || token > 5) throw new Error(`${where}: token ${token} at position ${i}; expected 1..5 (# space S G o)`);
    cells[i] = token - 1;
  }
  return { rows: size.rows, cols: size.cols, cells };
}
