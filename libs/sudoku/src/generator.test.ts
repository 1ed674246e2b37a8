import { describe, expect, it } from 'vitest';
import { createRng } from '@trm/augment';
import { boardSpec } from './board.ts';
import { canonicalKey } from './canonical.ts';
import { generatePuzzle, generatePuzzles } from './generator.ts';
import { sudoku } from './lib.ts';
import { isValidSolution, respectsGivens, solve } from './solver.ts';

const io = { log: () => {} } as never;

describe('generator', () => {
  it.each([4, 6, 9])('makes minimal puzzles with a unique solution (n = %i)', (n) => {
    const spec = boardSpec(n);
    const rng = createRng(n);
    for (let k = 0; k < (n === 9 ? 3 : 10); k++) {
      const p = generatePuzzle(spec, rng);
      expect(isValidSolution(p.solution, spec)).toBe(true);
      expect(respectsGivens(p.puzzle, p.solution)).toBe(true);
      const result = solve(p.puzzle, spec, 2);
      expect(result.count).toBe(1);
      expect(Array.from(result.solution!)).toEqual(Array.from(p.solution));
      expect(result.backtracks).toBe(p.rating);
      // minimal: removing any one given makes the solution ambiguous
      for (let i = 0; i < spec.cells; i++) {
        if (p.puzzle[i] === 0) continue;
        const fewer = p.puzzle.slice();
        fewer[i] = 0;
        expect(solve(fewer, spec, 2).count).toBe(2);
      }
    }
  });

  it('max_blanks stops the removal early: unique solution, that many blanks, the same solution grids', () => {
    const spec = boardSpec(6);
    const capped = generatePuzzles(spec, 3, 0, 12);
    const minimal = generatePuzzles(spec, 3);
    for (let k = 0; k < 10; k++) {
      const p = capped.next().value!;
      const q = minimal.next().value!;
      expect(p.puzzle.filter((d: number) => d === 0).length).toBe(12);
      expect(q.puzzle.filter((d: number) => d === 0).length).toBeGreaterThan(12);
      expect(Array.from(p.solution)).toEqual(Array.from(q.solution));
      expect(respectsGivens(p.puzzle, p.solution)).toBe(true);
      expect(solve(p.puzzle, spec, 2).count).toBe(1);
    }
  });

  it('is deterministic for a seed and differs across seeds', () => {
    const spec = boardSpec(9);
    const take = (seed: number): string[] => {
      const it = generatePuzzles(spec, seed);
      return Array.from({ length: 3 }, () => Array.from(it.next().value!.puzzle).join(''));
    };
    expect(take(4)).toEqual(take(4));
    expect(take(4)).not.toEqual(take(5));
  });

  it('fetch(generator) honours train/test sizes, min_rating and keeps every puzzle distinct up to symmetry', async () => {
    const puzzles = await sudoku.fetch({ source: 'generator', size: 6, train_size: 12, test_size: 5, min_rating: 1, seed: 3 }, io);
    expect(puzzles.filter((p) => p.split === 'train')).toHaveLength(12);
    expect(puzzles.filter((p) => p.split === 'test')).toHaveLength(5);
    const keys = new Set<string>();
    for (const p of puzzles) {
      expect(p.rating).toBeGreaterThanOrEqual(1);
      const { input, output } = p.examples[0];
      expect(solve(input.cells, boardSpec(6), 1).backtracks).toBe(p.rating);
      keys.add(canonicalKey(input.cells, output!.cells, boardSpec(6)));
    }
    expect(keys.size).toBe(17);
    const again = await sudoku.fetch({ source: 'generator', size: 6, train_size: 12, test_size: 5, min_rating: 1, seed: 3 }, io);
    expect(again.map((p) => Array.from(p.examples[0].input.cells).join(''))).toEqual(puzzles.map((p) => Array.from(p.examples[0].input.cells).join('')));
  });

  it('fails clearly when a small board cannot supply enough distinct puzzles', async () => {
    await expect(sudoku.fetch({ source: 'generator', size: 4, train_size: 500, test_size: 0, max_attempts: 2000 }, io)).rejects.toThrow(
      /found \d+ of 500 puzzles .* after 2000 attempts/,
    );
  });
});
