import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { boardSpec, parseCells } from './board.ts';
import { isValidSolution, respectsGivens, solve } from './solver.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const dataDir = join(repoRoot, '..', 'shared', 'data', 'sudoku');
const spec9 = boardSpec(9);

const cells = (text: string, n = 9): Uint8Array => {
  const out = parseCells(text, boardSpec(n), true);
  if (typeof out === 'string') throw new Error(out);
  return out;
};

describe('solve on the tdoku test puzzles', () => {
  const lines = readFileSync(join(dataDir, 'tdoku-test-puzzles.txt'), 'utf8').split('\n').filter((l) => l.trim() !== '');
  it('has the three kinds of fixture lines', () => {
    const kinds = new Set(lines.map((l) => Math.min(Number(l.split(':')[1]), 2)));
    expect([...kinds].sort()).toEqual([0, 1, 2]);
  });
  it('counts 0, 1 and several solutions like tdoku and finds the unique solution', () => {
    for (const line of lines) {
      const [puzzle, count, solution] = line.trim().split(':');
      const result = solve(cells(puzzle), spec9, 2);
      expect(result.count, line).toBe(Math.min(Number(count), 2));
      if (Number(count) === 0) expect(result.solution).toBeNull();
      else {
        expect(isValidSolution(result.solution!, spec9)).toBe(true);
        expect(respectsGivens(cells(puzzle), result.solution!)).toBe(true);
      }
      if (solution) expect(Array.from(result.solution!).join('')).toBe(solution);
    }
  });
  it('counts up to the limit on an ambiguous puzzle', () => {
    const many = lines.find((l) => Number(l.split(':')[1]) > 100)!;
    expect(solve(cells(many.split(':')[0]), spec9, 50).count).toBe(50);
  });
});

describe('solve on small boards and edge cases', () => {
  it('solves 4x4 and 6x6 boards with rectangular boxes', () => {
    const four = solve(cells('1...' + '..2.' + '.3..' + '...4', 4), boardSpec(4), 2);
    expect(four.count).toBeGreaterThanOrEqual(1);
    expect(isValidSolution(four.solution!, boardSpec(4))).toBe(true);
    const empty6 = solve(new Uint8Array(36), boardSpec(6), 1);
    expect(isValidSolution(empty6.solution!, boardSpec(6))).toBe(true);
  });
  it('reports 0 solutions for clashing givens and for a full invalid grid', () => {
    expect(solve(cells('11' + '.'.repeat(79)), spec9).count).toBe(0);
    const solved = solve(new Uint8Array(81), spec9, 1).solution!;
    const bad = solved.slice();
    [bad[0], bad[1]] = [bad[1], bad[0]];
    expect(solve(bad, spec9).count).toBe(0);
    expect(solve(solved, spec9).count).toBe(1);
  });
  it('gives a deterministic backtrack rating', () => {
    const hard = readFileSync(join(dataDir, 'magictour-top1465.txt'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'))[0];
    const a = solve(cells(hard), spec9);
    expect(a.count).toBe(1);
    expect(a.backtracks).toBeGreaterThan(0);
    expect(solve(cells(hard), spec9).backtracks).toBe(a.backtracks);
  });
});

describe('validators', () => {
  const solution = solve(new Uint8Array(81), spec9, 1).solution!;
  it('isValidSolution accepts a complete grid and rejects blanks, repeats and wrong sizes', () => {
    expect(isValidSolution(solution, spec9)).toBe(true);
    const blank = solution.slice();
    blank[40] = 0;
    expect(isValidSolution(blank, spec9)).toBe(false);
    const repeat = solution.slice();
    repeat[0] = repeat[1];
    expect(isValidSolution(repeat, spec9)).toBe(false);
    expect(isValidSolution(solution.subarray(0, 80), spec9)).toBe(false);
  });
  it('respectsGivens checks only the given cells', () => {
    const puzzle = new Uint8Array(81);
    puzzle[5] = solution[5];
    expect(respectsGivens(puzzle, solution)).toBe(true);
    puzzle[6] = (solution[6] % 9) + 1;
    expect(respectsGivens(puzzle, solution)).toBe(false);
  });
});
