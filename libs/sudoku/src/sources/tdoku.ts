// Plain puzzle lists (tdoku benchmark format): `#` comments, one puzzle per line, `.` or `0` blank.
// Anything after the puzzle (`:count:solution` in tdoku's test file, whitespace) is ignored.
// Labels come from the solver; puzzles without exactly one solution are rejected. Read as a stream of lines with
// a length limit that fits the board (a line is a puzzle, its solution and a little more).
import type { SourceIO } from '@trm/dataset';
import type { BoardSpec } from '../board.ts';
import { parseCells } from '../board.ts';
import { solve } from '../solver.ts';
import type { SudokuRecord } from './records.ts';

export interface TdokuReadOptions {
  name: string;
  /** `error` (default): throw naming the bad rows; `skip`: drop them and report through `log` */
  onInvalid: 'error' | 'skip';
  log(message: string): void;
}

export async function readTdokuList(io: SourceIO, path: string, spec: BoardSpec, opts: TdokuReadOptions): Promise<SudokuRecord[]> {
  const { name } = opts;
  const out: SudokuRecord[] = [];
  const none: number[] = [];
  const several: number[] = [];
  let k = 0;
  for await (const raw of io.readLines(path, { maxLineBytes: 3 * spec.cells + 1024, what: `a puzzle line of a ${spec.n}x${spec.n} board` })) {
    k++;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const puzzleText = line.split(/[:\s]/, 1)[0];
    const question = parseCells(puzzleText, spec, true);
    if (typeof question === 'string') throw new Error(`${name} row ${k}: ${question}`);
    const result = solve(question, spec, 2);
    if (result.count === 0) { none.push(k); continue; }
    if (result.count > 1) { several.push(k); continue; }
    out.push({ question, answer: result.solution!, rating: result.backtracks, source: name });
  }
  if (none.length + several.length > 0) {
    const rows = (xs: number[]): string => (xs.length ? ` (rows ${xs.slice(0, 10).join(', ')}${xs.length > 10 ? ', ...' : ''})` : '');
    const message = `${name}: ${none.length} puzzles with no solution${rows(none)}, ${several.length} with several solutions${rows(several)}; ${out.length} with a unique solution`;
    if (opts.onInvalid === 'error') throw new Error(`${message} (set fetch.on_invalid to "skip" to drop them)`);
    opts.log(`${message}: skipped the invalid ones`);
  }
  if (out.length + none.length + several.length === 0) throw new Error(`${name}: no puzzles (only comments and empty lines)`);
  return out;
}
