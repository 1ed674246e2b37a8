// CSV sources (local files and the Hugging Face Sudoku-Extreme files): columns question,answer[,rating,source].
// Scanned as bytes (no giant string: the full HF train.csv is larger than V8's string limit), unquoted fields only.
import type { BoardSpec } from '../board.ts';
import { parseCells } from '../board.ts';
import { answerProblem, subsampleIndices } from './records.ts';
import type { SudokuRecord } from './records.ts';

export interface CsvReadOptions {
  /** name used in errors and as the default `source` */
  name: string;
  minRating: number;
  subsample?: number;
  seed: number;
  split: 'train' | 'test';
}

function text(bytes: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]);
  return s;
}

/** Start offsets of the lines (without the header), skipping empty lines; `ends` excludes \r\n. */
function lineSpans(bytes: Uint8Array, from: number): { starts: number[]; ends: number[]; rows: number[] } {
  const starts: number[] = [];
  const ends: number[] = [];
  const rows: number[] = [];
  let row = 2; // the header is row 1
  let start = from;
  for (let i = from; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 10) {
      let end = i;
      if (end > start && bytes[end - 1] === 13) end--;
      if (end > start) { starts.push(start); ends.push(end); rows.push(row); }
      row++;
      start = i + 1;
    }
  }
  return { starts, ends, rows };
}

/** Parse a Sudoku CSV; errors name the file, the row (1 = header) and the field. */
export function readSudokuCsv(bytes: Uint8Array, spec: BoardSpec, opts: CsvReadOptions): SudokuRecord[] {
  const { name } = opts;
  let pos = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  let headerEnd = bytes.indexOf(10, pos);
  if (headerEnd < 0) headerEnd = bytes.length;
  const header = text(bytes, pos, headerEnd).replace(/\r$/, '').split(',').map((h) => h.trim());
  if (header.length === 1 && header[0] === '') throw new Error(`${name}: empty file (expected a header row with question,answer columns)`);
  const col = (h: string): number => header.indexOf(h);
  const qCol = col('question');
  const aCol = col('answer');
  const rCol = col('rating');
  const sCol = col('source');
  if (qCol < 0 || aCol < 0) {
    throw new Error(`${name}: missing column "${qCol < 0 ? 'question' : 'answer'}" (columns: ${header.join(', ')}; expected question,answer[,rating,source])`);
  }
  if (opts.minRating > 0 && rCol < 0) {
    throw new Error(`${name}: min_rating is ${opts.minRating} but the file has no "rating" column (columns: ${header.join(', ')})`);
  }
  pos = headerEnd + 1;
  const lines = lineSpans(bytes, pos);

  const fieldsOf = (k: number): string[] => {
    const s = text(bytes, lines.starts[k], lines.ends[k]);
    if (s.includes('"')) throw new Error(`${name} row ${lines.rows[k]}: quoted fields are not supported in Sudoku CSV files`);
    const fields = s.split(',');
    if (fields.length !== header.length) {
      throw new Error(`${name} row ${lines.rows[k]}: expected ${header.length} fields (${header.join(',')}), found ${fields.length}`);
    }
    return fields;
  };
  const ratingOf = (fields: string[], k: number): number => {
    const raw = fields[rCol].trim();
    const v = Number(raw);
    if (raw === '' || !Number.isInteger(v) || v < 0) {
      throw new Error(`${name} row ${lines.rows[k]} field "rating": expected a non-negative integer, found "${raw}"`);
    }
    return v;
  };

  // pass 1: rows passing the rating filter (only the rating is parsed); pass 2: the sampled rows in full
  let eligible: number[] = [];
  if (opts.minRating > 0) {
    for (let k = 0; k < lines.starts.length; k++) if (ratingOf(fieldsOf(k), k) >= opts.minRating) eligible.push(k);
  } else {
    eligible = Array.from({ length: lines.starts.length }, (_, k) => k);
  }
  const chosen = subsampleIndices(eligible.length, opts.subsample, opts.seed, opts.split);
  const out: SudokuRecord[] = new Array(chosen.length);
  for (let c = 0; c < chosen.length; c++) {
    const k = eligible[chosen[c]];
    const fields = fieldsOf(k);
    const where = `${name} row ${lines.rows[k]}`;
    const question = parseCells(fields[qCol], spec, true);
    if (typeof question === 'string') throw new Error(`${where} field "question": ${question}`);
    const answer = parseCells(fields[aCol], spec, false);
    if (typeof answer === 'string') throw new Error(`${where} field "answer": ${answer}`);
    const problem = answerProblem(question, answer, spec);
    if (problem) throw new Error(`${where} field "answer": ${problem}`);
    const rec: SudokuRecord = { question, answer, source: sCol >= 0 && fields[sCol] !== '' ? fields[sCol] : name };
    if (rCol >= 0) rec.rating = ratingOf(fields, k);
    out[c] = rec;
  }
  return out;
}
