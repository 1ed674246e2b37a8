// Example boards: givens (filled in the input, kept by the target) are drawn apart from the cells the model filled.
import { describe, expect, it } from 'vitest';
import { sudoku } from '@trm/sudoku';
import { drawExamples, givenCells } from './examples.ts';
import type { ExampleView } from './types.ts';

const grid = (rows: number, cols: number, cells: number[]) => ({ rows, cols, cells: Uint8Array.from(cells) });

/** Sudoku tokens: blank 1, digit d -> d + 1. */
const tokens = (digits: number[]) => Uint8Array.from(digits, (d) => d + 1);

// a solved 4x4 board and its puzzle: 6 givens, 10 blanks
const SOLUTION = [1, 2, 3, 4, 3, 4, 1, 2, 2, 1, 4, 3, 4, 3, 2, 1];
const PUZZLE = [1, 0, 0, 4, 0, 4, 0, 0, 0, 0, 4, 0, 4, 0, 0, 1];
const GIVENS = PUZZLE.filter((d) => d !== 0).length;

function view(preds: number[], trajectory: number[][] = []): ExampleView {
  return {
    index: 7, group: 2, puzzleIdentifier: 0, inputs: tokens(PUZZLE), labels: tokens(SOLUTION), preds: tokens(preds),
    qHalt: -1, steps: trajectory.length || 1, correct: false, trajectory: trajectory.map(tokens),
  };
}

/** Digits of a sudoku SVG by the class it draws them with (`digit given`, `digit filled`, `digit wrong`). */
function digitClasses(svg: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of svg.matchAll(/<text class="digit (\w+)"/g)) out[m[1]] = (out[m[1]] ?? 0) + 1;
  return out;
}

describe('example boards', () => {
  it('givenCells: filled in the input and kept by the target; none when the shapes differ', () => {
    expect(Array.from(givenCells(grid(1, 4, [0, 2, 3, 5]), grid(1, 4, [1, 2, 4, 5])))).toEqual([0, 1, 0, 1]);
    expect(Array.from(givenCells(grid(2, 2, [1, 2, 3, 4]), grid(1, 4, [1, 2, 3, 4])))).toEqual([0, 0, 0, 0]);
  });

  it('sudoku: the prediction and target draw givens apart from filled cells, and wrong cells stay marked', () => {
    const preds = SOLUTION.slice();
    preds[1] = 3; // a filled cell wrong
    preds[3] = 2; // a given the model changed
    const files: Record<string, string> = {};
    const [d] = drawExamples(sudoku, { size: 4 }, [view(preds, [preds, SOLUTION])], files);
    expect(d.wrong).toBe(2);
    expect(digitClasses(files['img/example-7-pred.svg'])).toEqual({ given: GIVENS - 1, filled: 16 - GIVENS - 1, wrong: 2 });
    expect(files['img/example-7-pred.svg'].match(/<rect class="wrong"/g)).toHaveLength(2);
    expect(digitClasses(files['img/example-7-target.svg'])).toEqual({ given: GIVENS, filled: 16 - GIVENS });
    expect(digitClasses(files['img/example-7-step-1.svg'])).toEqual({ given: GIVENS - 1, filled: 16 - GIVENS - 1, wrong: 2 });
    expect(digitClasses(files['img/example-7-step-2.svg'])).toEqual({ given: GIVENS, filled: 16 - GIVENS });
    // the puzzle itself: every digit is a given
    expect(digitClasses(files['img/example-7-input.svg'])).toEqual({ given: GIVENS });
  });
});
