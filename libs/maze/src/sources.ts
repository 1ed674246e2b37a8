import type { Grid, RawPuzzle, SourceIO } from '@trm/dataset';
import { column, parseCsv, parseNpy } from '@trm/dataset';
import { deriveSeed } from '@trm/augment';
import { CELL_CHARS, GOAL, OPEN, PATH, START, findUnique, mazeToString, parseMaze } from './cells.ts';
import { generateMaze, type GeneratorOptions } from './generator.ts';

// The four sources of raw mazes. Each returns the puzzles of both splits, train first.

type Split = 'train' | 'test';
const SPLITS: readonly Split[] = ['train', 'test'];

export const HF_REPO = 'sapientinc/maze-30x30-hard-1k';

export function hfUrl(file: string): string {
  return `https://huggingface.co/datasets/${HF_REPO}/resolve/main/${file}`;
}

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

/** Check that `output` is `input` with some open cells marked as path, nothing else changed. */
export function checkLabel(input: Grid, output: Grid, where: string): void {
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
}

/** Parse one CSV file of mazes (columns question, answer; optional source, rating). Spaces are cells: nothing is trimmed. */
export function parseMazeCsv(
  text: string,
  file: string,
  split: Split,
  size: { rows: number; cols: number },
  defaultSource: string,
  limit?: number,
): RawPuzzle[] {
  const table = parseCsv(text, file);
  const q = column(table, 'question', file);
  const a = column(table, 'answer', file);
  const src = table.header.indexOf('source');
  const rating = table.header.indexOf('rating');
  const rows = limit === undefined ? table.rows : table.rows.slice(0, limit);
  return rows.map((row, r) => {
    const where = `${file} row ${r + 2}`; // row 1 is the header
    const input = parseMaze(row[q], size.rows, size.cols, `${where} field "question"`);
    const output = parseMaze(row[a], size.rows, size.cols, `${where} field "answer"`);
    checkLabel(input, output, where);
    const puzzle: RawPuzzle = {
      id: puzzleId(split, r),
      split,
      examples: [{ input, output, role: 'test' }],
      source: src >= 0 && row[src] !== '' ? row[src] : defaultSource,
    };
    if (rating >= 0 && row[rating] !== '') {
      const value = Number(row[rating]);
      if (!Number.isFinite(value)) throw new Error(`${where} field "rating": expected a number, found ${JSON.stringify(row[rating])}`);
      puzzle.rating = value;
    }
    return puzzle;
  });
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
    const text = await io.readText(paths[split]);
    out.push(...parseMazeCsv(text, paths[split], split, size, `csv:${paths[split]}`, limits[split]));
  }
  return out;
}

export async function fetchHuggingface(io: SourceIO, limits: Partial<Record<Split, number>>): Promise<RawPuzzle[]> {
  const out: RawPuzzle[] = [];
  for (const split of SPLITS) {
    const file = `${split}.csv`;
    const local = await io.download(hfUrl(file), { name: `maze-30x30-hard-1k-${file}` });
    const text = await io.readText(local);
    out.push(...parseMazeCsv(text, local, split, { rows: 30, cols: 30 }, `hf:${HF_REPO}/${file}`, limits[split]));
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
    const count = limits[split] === undefined ? groups : Math.min(groups, limits[split]!);
    for (let g = 0; g < count; g++) {
      const example = puzzleIndices[groupIndices[g]]; // first example of the group's first puzzle
      const where = `${inputs.path} example ${example}`;
      const input = gridFromTokens(inputs.array.data, example, size, where);
      const output = gridFromTokens(labels.array.data, example, size, `${labels.path} example ${example}`);
      checkLabel(input, output, where);
      out.push({ id: puzzleId(split, g), split, examples: [{ input, output, role: 'test' }], source: `reference-npy:${folder}/${split}` });
    }
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
