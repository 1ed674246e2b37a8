// Plain puzzle lists (tdoku benchmark format): `#` comments, one puzzle per line, `.` or `0` blank.
// Anything after the puzzle (`:count:solution` in tdoku's test file, whitespace) is ignored.
// Labels come from the solver; puzzles without exactly one solution are rejected.
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

export function readTdokuList(textContent: string, spec: BoardSpec, opts: TdokuReadOptions): SudokuRecord[] {
  const { name } = opts;
  const out: SudokuRecord[] = [];
  const none: number[] = [];
  const several: number[] = [];
  const lines = textContent.split('\n');
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k].trim();
    if (line === '' || line.startsWith('#')) continue;
    const puzzleText = line.split(/[:\s]/, 1)[0];
    const question = parseCells(puzzleText, spec, true);
    if (typeof question === 'string') throw new Error(`${name} row ${k + 1}: ${question}`);
    const result = solve(question, spec, 2);
    if (result.count === 0) { none.push(k + 1); continue; }
    if (result.count > 1) { several.push(k + 1); continue; }
    out.push({ question, answer: result.solution!, rating: result.backtracks, source: name });
  }
  if (none.length + several.length > 0) {
    const rows = (xs: number[]): string => (xs.length ? ` (rows ${xs.slice(0, 10).join(', ')}${xs.length > 10 ? ', ...' : ''})` : '');
    const message = `${name}: ${none.length} puzzles with no solution${rows(none)}, ${several.length} with several solutions${rows(several)}; ${out.length} with a unique solution`;
    if (opts.onInvalid === 'error') throw new Error(`${message} (set fetch.on_invalid to "skip" to drop them)`);
    opts.log(`${message}: skipped the invalid ones`);
  }
  return out;
}
