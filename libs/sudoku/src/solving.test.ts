import { describe, expect, it } from 'vitest';
import { createRng } from '@trm/augment';
import { changedCells, PuzzleInputError, type Grid } from '@trm/dataset';
import { boardSpec, cellsToString } from './board.ts';
import { generatePuzzle } from './generator.ts';
import { sudoku } from './lib.ts';
import { renderText } from './render.ts';

const solving = sudoku.solving!;
const enc6 = { size: 6 };
const p6 = generatePuzzle(boardSpec(6), createRng(7), 20);
const grid6 = (cells: Uint8Array): Grid => ({ rows: 6, cols: 6, cells });

describe('sudoku parse', () => {
  it('reads one line with . or 0 for blanks, and the rendered board pasted back', () => {
    const line = cellsToString(p6.puzzle);
    const zeros = line.replace(/\./g, '0');
    for (const text of [line, zeros, renderText(grid6(p6.puzzle)), `  ${line}\n`]) {
      const puzzle = solving.parse(text, enc6);
      expect(Array.from(puzzle.examples[0].input.cells)).toEqual(Array.from(p6.puzzle));
      expect(puzzle.examples[0]).toMatchObject({ role: 'test', output: null });
    }
    expect(solving.formatPuzzle(solving.parse(zeros, enc6))).toBe(line);
  });
  it.each([
    ['a short line', '12345', /expected 36 cells \(a 6x6 board: digits 1-6, '\.' or '0' for blanks\), found 5 characters/],
    ['a board of another size', '.'.repeat(81), /a 9x9 board \(81 cells\), but the model was trained on 6x6 boards \(36 cells\)/],
    ['a digit beyond the board', '7' + '.'.repeat(35), /position 1: bad character '7'/],
    ['a letter', '.'.repeat(10) + 'x' + '.'.repeat(25), /position 11: bad character 'x'/],
    ['clashing givens', '11' + '.'.repeat(34), /the givens break the rules: row 1 holds 1 twice/],
    ['nothing', ' \n', /the puzzle is empty/],
  ])('refuses %s with one line saying what was expected', (_, text, message) => {
    const run = () => solving.parse(text, enc6);
    expect(run).toThrow(PuzzleInputError);
    expect(run).toThrow(message);
    try {
      run();
    } catch (e) {
      expect((e as Error).message).not.toContain('\n');
    }
  });
});

describe('sudoku model rows and answers', () => {
  it('lays the puzzle out as the encode stage does, with identifier 0', () => {
    const puzzle = solving.parse(cellsToString(p6.puzzle), enc6);
    const [q] = solving.queries(puzzle, enc6, { identifiers: ['<blank>'], aux: null });
    const encoded = sudoku.encode({ input: grid6(p6.puzzle), output: grid6(p6.solution), role: 'test' }, enc6);
    expect(Array.from(q.inputs)).toEqual(Array.from(encoded.inputs));
    expect(q.puzzleIdentifier).toBe(0);
    // the labels decode to the solution, which is valid; the answer's text form is one line
    const [attempts] = solving.answers(puzzle, [q], [{ preds: encoded.labels, qHalt: 3 }], enc6, {});
    expect(solving.formatAnswer(attempts)).toBe(cellsToString(p6.solution));
    expect(solving.check(puzzle.examples[0], attempts)).toEqual({ valid: true, reason: '' });
  });
  it('names the broken rule: an empty cell, a changed given, a digit twice', () => {
    const example = { input: grid6(p6.puzzle), output: null, role: 'test' as const };
    const empty = p6.solution.slice();
    const blank = p6.puzzle.indexOf(0);
    empty[blank] = 0;
    expect(solving.check(example, [grid6(empty)]).reason).toMatch(/^1 cell left empty \(first: row \d, column \d\)$/);
    const given = p6.puzzle.findIndex((d) => d !== 0);
    const changed = p6.solution.slice();
    changed[given] = (changed[given] % 6) + 1;
    const c = solving.check(example, [grid6(changed)]);
    expect(c.valid).toBe(false);
    expect(c.reason).toBe(`the given ${p6.puzzle[given]} at row ${Math.floor(given / 6) + 1}, column ${(given % 6) + 1} was changed to ${changed[given]}`);
    expect(c.cells![given]).toBe(1);
    const twice = p6.solution.slice();
    twice[blank] = (twice[blank] % 6) + 1;
    const d = solving.check(example, [grid6(twice)]);
    expect(d.valid).toBe(false);
    expect(d.reason).toMatch(/^(row|column|box) \d holds \d twice$/);
    expect(d.cells!.reduce((a, b) => a + b, 0)).toBe(2);
  });
  it('marks the changed cells in brackets', () => {
    const prev = grid6(p6.puzzle);
    const next = grid6(p6.solution);
    const text = solving.renderChanged(next, changedCells(prev, next));
    expect(text.match(/\[\d\]/g)).toHaveLength(p6.puzzle.filter((d) => d === 0).length);
    expect(text.split('\n')).toHaveLength(6 + 2); // 3 bands of 2 rows, 2 rules
    expect(solving.renderChanged(next, new Uint8Array(36))).not.toContain('[');
  });
});
