import { describe, expect, it } from 'vitest';
import { changedCells, PuzzleInputError } from '@trm/dataset';
import { parseMaze } from './cells.ts';
import { maze } from './maze.ts';
import { renderMazeText } from './render.ts';

const solving = maze.solving!;
const enc = { rows: 6, cols: 6 };
const rows = ['S   ', '  # ', '  # ', 'G   '];
const grid = (lines: string[]) => parseMaze(lines.join(''), 4, 4, 'test');
const context = { identifiers: ['<blank>'], aux: null };

describe('maze parse', () => {
  it('reads one line per row, or one line as in the CSV (a square), and clears a typed path', () => {
    for (const text of [rows.join('\n'), rows.join('\r\n') + '\r\n', rows.join(''), ['S   ', 'o # ', 'o # ', 'G   '].join('\n')]) {
      const p = solving.parse(text, enc);
      expect(renderMazeText(p.examples[0].input)).toBe(rows.join('\n'));
    }
    const whole = parseMaze('#'.repeat(36).split('').map((c, i) => (i === 7 ? 'S' : i === 8 ? 'G' : c)).join(''), 6, 6, 'x');
    expect(solving.parse(renderMazeText(whole).split('\n').join(''), enc).examples[0].input.rows).toBe(6);
    expect(solving.formatPuzzle(solving.parse(rows.join(''), enc))).toBe(rows.join('\n'));
  });
  it.each([
    ['ragged rows', 'S  \n  # \n  # \nG   ', /line 2 has 4 characters, line 1 has 3/],
    ['a line that is no maze', 'S  G ##', /one line of 7 characters is not a maze; expected 36 \(the 6x6 canvas/],
    ['a maze larger than the canvas', Array.from({ length: 7 }, (_, r) => (r === 0 ? 'S' : r === 6 ? 'G' : '#') + '      ').join('\n'), /a 7x7 maze does not fit the 6x6 canvas/],
    ['a bad character', 'S  x\n  # \n  # \nG   ', /bad character "x" at offset 3 \(row 0, col 3\)/],
    ['two starts', 'S  S\n  # \n  # \nG   ', /more than one "S"/],
    ['no goal', 'S   \n  # \n  # \n    ', /no "G"/],
    ['a walled-off goal', 'S # \n  ##\n  #G\n  # ', /G cannot be reached from S/],
  ])('refuses %s', (_, text, message) => {
    expect(() => solving.parse(text, enc)).toThrow(PuzzleInputError);
    expect(() => solving.parse(text, enc)).toThrow(message);
  });
});

describe('maze rows, answers, checks', () => {
  const puzzle = solving.parse(rows.join('\n'), enc);
  it('lays the maze at the top-left of the canvas as encode does, and decodes the answer to the maze size', () => {
    const [q] = solving.queries(puzzle, enc, context);
    const shortest = grid(['S   ', 'o # ', 'o # ', 'G   ']);
    const encoded = maze.encode({ input: puzzle.examples[0].input, output: shortest, role: 'test' }, enc);
    expect(Array.from(q.inputs)).toEqual(Array.from(encoded.inputs));
    const [attempts] = solving.answers(puzzle, [q], [{ preds: encoded.labels, qHalt: 1 }], enc, {});
    expect(renderMazeText(attempts[0])).toBe(renderMazeText(shortest));
    expect(solving.formatAnswer(attempts)).toBe('S   o # o # G   ');
    expect(solving.check(puzzle.examples[0], attempts)).toEqual({ valid: true, reason: '' });
  });
  it('a valid path that is not shortest, or a broken one, is not valid', () => {
    const detour = solving.check(puzzle.examples[0], [grid(['Sooo', '  #o', '  #o', 'Gooo'])]);
    expect(detour).toEqual({ valid: false, reason: 'the path has 8 cells, a shortest one 2' });
    const broken = solving.check(puzzle.examples[0], [grid(['S   ', 'o # ', '  # ', 'G   '])]);
    expect(broken).toMatchObject({ valid: false, reason: 'the o cells do not connect S to G' });
  });
  it('marks added and removed path cells', () => {
    const a = grid(['S   ', 'o # ', '  # ', 'G   ']);
    const b = grid(['So  ', '  # ', 'o # ', 'G   ']);
    expect(solving.renderChanged(b, changedCells(a, b))).toBe(['S*  ', '_ # ', '* # ', 'G   '].join('\n'));
  });
});
