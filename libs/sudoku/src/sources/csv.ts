// CSV sources (local files and the Hugging Face Sudoku-Extreme files): columns question,answer[,rating,source].
// Read as a stream of lines (SourceIO.readLines) with a line-length limit that fits the board, so a file that is
// not what it should be (one huge line, a binary) stops with an error naming the file and the row instead of
// filling the memory. Unquoted fields only. With a rating filter or a subsample the file is read twice: first the
// ratings (which rows qualify), then the chosen rows in full.
import { describeColumns, excerpt, type SourceIO } from '@trm/dataset';
import type { BoardSpec } from '../board.ts';
import { parseCells } from '../board.ts';
import { solve } from '../solver.ts';
import { answerProblem, subsampleIndices } from './records.ts';
import type { SudokuRecord } from './records.ts';

export interface CsvReadOptions {
  /** name used in errors and as the default `source` */
  name: string;
  minRating: number;
  subsample?: number;
  seed: number;
  split: 'train' | 'test';
  /** count the solutions of every kept puzzle and warn about those with several (local files: unknown provenance) */
  checkUnique?: boolean;
}

/** The longest CSV line a board can need: both grids, a rating and a `source` text of up to 1000 characters. */
export function maxCsvLine(spec: BoardSpec): number {
  return 2 * spec.cells + 1024 + 16;
}

interface Header { fields: string[]; q: number; a: number; r: number; s: number }

function readHeader(line: string | undefined, name: string, opts: CsvReadOptions): Header {
  const text = (line ?? '').replace(/^\uFEFF/, '');
  if (text.trim() === '') throw new Error(`${name}: empty file (expected a header row with question,answer columns)`);
  const fields = text.split(',').map((h) => h.trim());
  const shown = describeColumns(fields);
  const q = fields.indexOf('question');
  const a = fields.indexOf('answer');
  const r = fields.indexOf('rating');
  const s = fields.indexOf('source');
  if (q < 0 || a < 0) {
    throw new Error(`${name}: row 1 is not a Sudoku CSV header: no "${q < 0 ? 'question' : 'answer'}" column (found: ${shown}; expected question,answer[,rating,source])`);
  }
  if (opts.minRating > 0 && r < 0) throw new Error(`${name}: min_rating is ${opts.minRating} but the file has no "rating" column (columns: ${shown})`);
  return { fields, q, a, r, s };
}

/** Data rows of the file as (row number, fields); row 1 is the header; empty lines are skipped but counted. */
async function* rows(io: SourceIO, path: string, spec: BoardSpec, name: string, opts: CsvReadOptions, header: { value?: Header }): AsyncGenerator<[number, string[]]> {
  let row = 0;
  for await (const line of io.readLines(path, { maxLineBytes: maxCsvLine(spec), what: `a Sudoku CSV row of a ${spec.n}x${spec.n} board` })) {
    row++;
    if (row === 1) { header.value = readHeader(line, name, opts); continue; }
    if (line === '' || line === '\r') continue;
    if (line.includes('"')) throw new Error(`${name} row ${row}: quoted fields are not supported in Sudoku CSV files`);
    const fields = line.split(',');
    const h = header.value!;
    if (fields.length !== h.fields.length) {
      throw new Error(`${name} row ${row}: expected ${h.fields.length} fields (${describeColumns(h.fields)}), found ${fields.length}`);
    }
    yield [row, fields];
  }
  if (row === 0) readHeader(undefined, name, opts);
}

function ratingOf(fields: string[], h: Header, name: string, row: number): number {
  const raw = fields[h.r].trim();
  const v = Number(raw);
  if (raw === '' || !Number.isInteger(v) || v < 0) throw new Error(`${name} row ${row} field "rating": expected a non-negative integer, found "${excerpt(raw, 20)}"`);
  return v;
}

/** Parse a Sudoku CSV file; errors name the file, the row (1 = header) and the field. */
export async function readSudokuCsv(io: SourceIO, path: string, spec: BoardSpec, opts: CsvReadOptions): Promise<SudokuRecord[]> {
  const { name } = opts;
  const header: { value?: Header } = {};
  // pass 1 (only with a filter or a subsample): which data rows qualify, by their order among the data rows
  let chosen: Set<number> | null = null;
  if (opts.minRating > 0 || opts.subsample !== undefined) {
    const eligible: number[] = [];
    let k = 0;
    for await (const [row, fields] of rows(io, path, spec, name, opts, header)) {
      if (opts.minRating <= 0 || ratingOf(fields, header.value!, name, row) >= opts.minRating) eligible.push(k);
      k++;
    }
    chosen = new Set(Array.from(subsampleIndices(eligible.length, opts.subsample, opts.seed, opts.split), (i) => eligible[i]));
  }
  // pass 2: the chosen rows in full
  const out: SudokuRecord[] = [];
  const several: number[] = [];
  let k = -1;
  let dataRows = 0;
  for await (const [row, fields] of rows(io, path, spec, name, opts, header)) {
    dataRows++;
    k++;
    if (chosen && !chosen.has(k)) continue;
    const h = header.value!;
    const where = `${name} row ${row}`;
    const question = parseCells(fields[h.q], spec, true);
    if (typeof question === 'string') throw new Error(`${where} field "question": ${question}`);
    const answer = parseCells(fields[h.a], spec, false);
    if (typeof answer === 'string') throw new Error(`${where} field "answer": ${answer}`);
    const problem = answerProblem(question, answer, spec);
    if (problem) throw new Error(`${where} field "answer": ${problem}`);
    if (opts.checkUnique && solve(question, spec, 2).count > 1) several.push(row);
    const rec: SudokuRecord = { question, answer, source: h.s >= 0 && fields[h.s] !== '' ? fields[h.s] : name };
    if (h.r >= 0) rec.rating = ratingOf(fields, h, name, row);
    out.push(rec);
  }
  if (dataRows === 0) throw new Error(`${name}: no puzzles (a header and no rows)`);
  if (several.length) {
    const shown = several.slice(0, 10).join(', ') + (several.length > 10 ? ', ...' : '');
    io.log(`${name}: warning: ${several.length} of ${out.length} puzzles have several solutions (rows ${shown}); kept, with the file's answer as their label`);
  }
  return out;
}
