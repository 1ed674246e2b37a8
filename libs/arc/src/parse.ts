import { parseJsonText, type Grid, type RawExample } from '@trm/dataset';
import { CANVAS, NUM_COLOURS } from './tokens.ts';

// Validation of ARC JSON: every error names the file, task, pair and field.

/** Where a value came from, for error messages. */
export interface Where {
  file: string;
  task: string;
}

export class ArcFormatError extends Error {
  override name = 'ArcFormatError';
}

function fail(where: Where, detail: string): never {
  throw new ArcFormatError(`arc: ${where.file}: task ${where.task}: ${detail}`);
}

/** A JSON grid (list of rows of colours 0..9, 1..30 x 1..30, rectangular) as a Grid. */
export function parseGrid(value: unknown, where: Where, field: string): Grid {
  if (!Array.isArray(value)) fail(where, `${field}: expected a list of rows, got ${typeof value}`);
  const rows = value.length;
  if (rows < 1 || rows > CANVAS) fail(where, `${field}: ${rows} rows, expected 1..${CANVAS}`);
  const first = value[0];
  if (!Array.isArray(first)) fail(where, `${field}: row 0 is not a list`);
  const cols = first.length;
  if (cols < 1 || cols > CANVAS) fail(where, `${field}: ${cols} columns, expected 1..${CANVAS}`);
  const cells = new Uint8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const row: unknown = value[r];
    if (!Array.isArray(row)) fail(where, `${field}: row ${r} is not a list`);
    if (row.length !== cols) fail(where, `${field}: row ${r} has ${row.length} cells, expected ${cols} (rows must be rectangular)`);
    for (let c = 0; c < cols; c++) {
      const x: unknown = row[c];
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x >= NUM_COLOURS) {
        fail(where, `${field}: cell (${r}, ${c}) is ${JSON.stringify(x)}, expected a colour 0..${NUM_COLOURS - 1}`);
      }
      cells[r * cols + c] = x;
    }
  }
  return { rows, cols, cells };
}

/** One {input, output?} pair; `output` may be missing only where `outputOptional` (test inputs). */
export function parsePair(value: unknown, where: Where, label: string, role: 'train' | 'test', outputOptional: boolean): RawExample {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, `${label}: expected an object {input, output}`);
  const pair = value as Record<string, unknown>;
  if (!('input' in pair)) fail(where, `${label}: field input is missing`);
  const input = parseGrid(pair.input, where, `${label} input`);
  if (pair.output === undefined) {
    if (!outputOptional) fail(where, `${label}: field output is missing`);
    return { input, output: null, role };
  }
  return { input, output: parseGrid(pair.output, where, `${label} output`), role };
}

/** An ARC task object {train: [...], test: [...]}: demonstration pairs then test pairs. */
export function parseTask(value: unknown, where: Where): RawExample[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(where, 'expected an object {train, test}');
  const task = value as Record<string, unknown>;
  const out: RawExample[] = [];
  for (const role of ['train', 'test'] as const) {
    const pairs = task[role];
    if (!Array.isArray(pairs)) fail(where, `field ${role}: expected a list of pairs`);
    if (pairs.length === 0) fail(where, `field ${role}: expected at least one pair`);
    pairs.forEach((pair, i) => out.push(parsePair(pair, where, `${role} pair ${i}`, role, role === 'test')));
  }
  return out;
}

/** Parse JSON text; a syntax error names the file, line and column (and quotes at most a short excerpt). */
export function parseJson(text: string, file: string): unknown {
  try {
    return parseJsonText(text, file);
  } catch (err) {
    throw new ArcFormatError(`arc: ${(err as Error).message}`);
  }
}

/** A grid back to the JSON form (list of rows). */
export function gridToJson(grid: Grid): number[][] {
  const out: number[][] = [];
  for (let r = 0; r < grid.rows; r++) out.push(Array.from(grid.cells.subarray(r * grid.cols, (r + 1) * grid.cols)));
  return out;
}
