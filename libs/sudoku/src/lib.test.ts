import { describe, expect, it } from 'vitest';
import type { ExamplePrediction, Grid } from '@trm/dataset';
import { createRng } from '@trm/augment';
import { boardSpec } from './board.ts';
import { generatePuzzle } from './generator.ts';
import { sudoku } from './lib.ts';
import { solve } from './solver.ts';

const grid = (n: number, cells: Uint8Array): Grid => ({ rows: n, cols: n, cells });

describe('shape and tokens', () => {
  it.each([4, 6, 9])('size %i: vocab n+2, seq_len n*n, ignore label 0', (n) => {
    const shape = sudoku.shape({ size: n });
    expect(shape.vocabSize).toBe(n + 2);
    expect(shape.seqLen).toBe(n * n);
    expect(shape.padId).toBe(0);
    expect(shape.ignoreLabelId).toBe(0);
    expect(shape.tokenNames).toHaveLength(n + 2);
    expect(shape.tokenNames[1]).toBe('.');
    expect(shape.tokenNames[n + 1]).toBe(String(n));
  });
  it('defaults to 9x9 (vocab 11, seq_len 81) and rejects other sizes', () => {
    expect(sudoku.shape({})).toMatchObject({ vocabSize: 11, seqLen: 81 });
    expect(() => sudoku.shape({ size: 7 })).toThrow(/encode\.size: expected 4, 6, 8 or 9/);
  });
});

describe('encode / decode', () => {
  const spec = boardSpec(9);
  const p = generatePuzzle(spec, createRng(4));
  it('maps blank to 1 and digit d to d+1, and decodes back', () => {
    const enc = sudoku.encode({ input: grid(9, p.puzzle), output: grid(9, p.solution), role: 'test' }, { size: 9 });
    for (let i = 0; i < 81; i++) {
      expect(enc.inputs[i]).toBe(p.puzzle[i] + 1);
      expect(enc.labels[i]).toBe(p.solution[i] + 1);
    }
    expect(Array.from(sudoku.decode(enc.inputs, { size: 9 }).cells)).toEqual(Array.from(p.puzzle));
    expect(Array.from(sudoku.decode(enc.labels, { size: 9 }).cells)).toEqual(Array.from(p.solution));
  });
  it('rejects a size mismatch, missing answers and blanks in answers', () => {
    const ex = { input: grid(9, p.puzzle), output: grid(9, p.solution), role: 'test' as const };
    expect(() => sudoku.encode(ex, { size: 4 })).toThrow(/input is 9x9, encode\.size is 4/);
    expect(() => sudoku.encode({ ...ex, output: null }, { size: 9 })).toThrow(/no answer/);
    expect(() => sudoku.encode({ ...ex, output: grid(9, p.puzzle) }, { size: 9 })).toThrow(/output cell \d+ holds 0, expected 1\.\.9/);
    expect(() => sudoku.decode(new Uint8Array(81).fill(12), { size: 9 })).toThrow(/token 12 at 0 is outside the vocabulary 0\.\.10/);
  });
});

describe('rendering', () => {
  const spec = boardSpec(6);
  const p = generatePuzzle(spec, createRng(6));
  it('renderText draws 6x6 with 2x3 boxes', () => {
    const text = sudoku.renderText(grid(6, p.puzzle));
    const lines = text.split('\n');
    expect(lines).toHaveLength(6 + 2); // 6 rows + a rule between each pair of bands
    expect(lines[2]).toMatch(/^-+\+-+$/);
    expect(lines[0].split('|')).toHaveLength(2);
    expect(text.replace(/[^.1-6]/g, '')).toBe(Array.from(p.puzzle, (v) => (v ? String(v) : '.')).join(''));
  });
  it('renderSvg: thick box lines, givens dark, filled digits blue, wrong cells red', () => {
    const wrong = new Uint8Array(36);
    wrong[3] = 1;
    const svg = (sudoku.renderSvg as (g: Grid, o: object) => string)(grid(6, p.solution), { givens: p.puzzle, wrong, title: 'a <6x6>' });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('a &lt;6x6&gt;');
    // 7 horizontal + 7 vertical lines; thick: rows 0,2,4,6 and columns 0,3,6
    expect(svg.match(/<line /g)).toHaveLength(14);
    expect(svg.match(/stroke-width="2.5"/g)).toHaveLength(4 + 3);
    const givens = p.puzzle.filter((v) => v !== 0).length - (p.puzzle[3] !== 0 ? 1 : 0);
    expect(svg.match(/class="digit given"/g) ?? []).toHaveLength(givens);
    expect(svg.match(/class="digit wrong"/g)).toHaveLength(1);
    expect(svg.match(/class="digit filled"[^>]*fill="#1f5fbf"/g)).toHaveLength(36 - givens - 1);
    expect(svg).toContain('class="wrong"');
    expect(() => sudoku.renderSvg(grid(6, p.solution), { wrong: new Uint8Array(5) })).toThrow(/wrong has 5 entries/);
  });
});

describe('evaluate', () => {
  const spec = boardSpec(4);
  // a 4x4 puzzle with several solutions: a valid answer different from the label still counts as valid
  const puzzle = Uint8Array.from([1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  const label = solve(puzzle, spec, 1).solution!;
  const tok = (cells: Uint8Array): Uint8Array => cells.map((v) => v + 1);
  const other = (() => { // another completion of the same puzzle
    const rowsSwapped = label.slice();
    for (let c = 0; c < 4; c++) [rowsSwapped[8 + c], rowsSwapped[12 + c]] = [label[12 + c], label[8 + c]];
    return rowsSwapped;
  })();
  const pred = (index: number, preds: Uint8Array): ExamplePrediction => ({ index, group: index, puzzleIdentifier: 0, inputs: tok(puzzle), labels: tok(label), preds, qHalt: 0 });
  it('counts valid completions consistent with the givens, even when they differ from the label', () => {
    const broken = tok(label);
    broken[15] = broken[14];
    const givenChanged = tok(other);
    givenChanged[0] = 3;
    const { metrics } = sudoku.evaluate([pred(0, tok(label)), pred(1, tok(other)), pred(2, broken), pred(3, givenChanged)], {}, null);
    expect(Array.from(other)).not.toEqual(Array.from(label));
    expect(metrics.count).toBe(4);
    expect(metrics.valid_solution_rate).toBe(0.5);
    expect(metrics.givens_kept_rate).toBe(0.75);
    // 12 blanks: label all right, `other` and `givenChanged` miss the d cells where they differ, `broken` misses 1
    const d = other.filter((v, i) => puzzle[i] === 0 && v !== label[i]).length;
    expect(metrics.blank_cell_accuracy).toBeCloseTo((12 + (12 - d) + 11 + (12 - d)) / 48);
  });
  it('reports count 0 for no predictions', () => {
    expect(sudoku.evaluate([], {}, null).metrics).toEqual({ count: 0 });
  });
});
