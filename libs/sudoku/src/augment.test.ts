import { describe, expect, it } from 'vitest';
import type { RawPuzzle } from '@trm/dataset';
import { createRng } from '@trm/augment';
import { boardSpec } from './board.ts';
import { augmentEncodeArrays, augmentGroups, transformAt } from './augment.ts';
import { generatePuzzle } from './generator.ts';
import { sudoku } from './lib.ts';
import { isValidSolution } from './solver.ts';
import { applyTransform, identityTransform, invertTransform, parseTransform, sampleTransform, serializeTransform } from './transform.ts';

function puzzlesOf(n: number, count: number, split: 'train' | 'test' = 'train'): RawPuzzle[] {
  const spec = boardSpec(n);
  const rng = createRng(n * 7);
  return Array.from({ length: count }, (_, i) => {
    const p = generatePuzzle(spec, rng);
    return {
      id: `${split}-${i}`, split,
      examples: [{ input: { rows: n, cols: n, cells: p.puzzle }, output: { rows: n, cols: n, cells: p.solution }, role: 'test' as const }],
    };
  });
}

describe('Sudoku augmentation', () => {
  it.each([4, 6, 9])('keeps every augmented copy a valid Sudoku whose givens map consistently (n = %i)', (n) => {
    const spec = boardSpec(n);
    const puzzles = puzzlesOf(n, 3);
    const groups = [...augmentGroups(puzzles, spec, { numAug: 20, transpose: true }, 1, 'train')];
    expect(groups).toHaveLength(3);
    groups.forEach((group, g) => {
      expect(group).toHaveLength(21);
      const { input, output } = puzzles[g].examples[0];
      for (const aug of group) {
        const ex = aug.examples[0];
        expect(isValidSolution(ex.output!.cells, spec)).toBe(true);
        // the transform explains both grids
        const t = parseTransform(aug.transform, spec);
        expect(Array.from(applyTransform(input.cells, t, spec))).toEqual(Array.from(ex.input.cells));
        expect(Array.from(applyTransform(output!.cells, t, spec))).toEqual(Array.from(ex.output!.cells));
        // givens stay givens with the same relabelled digit; blanks stay blank
        for (let i = 0; i < spec.cells; i++) {
          if (ex.input.cells[i] !== 0) expect(ex.input.cells[i]).toBe(ex.output!.cells[i]);
        }
        expect(ex.input.cells.filter((v) => v === 0).length).toBe(input.cells.filter((v) => v === 0).length);
        // and the lib's inverse undoes it
        expect(Array.from(sudoku.inverse(ex.output!, aug.transform).cells)).toEqual(Array.from(output!.cells));
        if (n === 6) expect(aug.transform.startsWith('t1')).toBe(false);
      }
    });
  });

  it('keeps the original first with an empty transform, grouped and numbered', () => {
    const puzzles = puzzlesOf(9, 2);
    const groups = [...sudoku.augment(puzzles, { num_aug: 5 }, 3, 'train')];
    groups.forEach((group, g) => {
      expect(group[0].augIndex).toBe(0);
      expect(group[0].transform).toBe('');
      expect(Array.from(group[0].examples[0].input.cells)).toEqual(Array.from(puzzles[g].examples[0].input.cells));
      expect(group.map((a) => a.augIndex)).toEqual([0, 1, 2, 3, 4, 5]);
      expect(group.every((a) => a.group === g && a.name === '' && a.split === 'train')).toBe(true);
      expect(new Set(group.slice(1).map((a) => a.transform)).size).toBe(5);
    });
  });

  it('is deterministic for a seed and changes with the seed', () => {
    const puzzles = puzzlesOf(9, 2);
    const transforms = (seed: number): string[] => [...sudoku.augment(puzzles, { num_aug: 4 }, seed, 'train')].flat().map((a) => a.transform);
    expect(transforms(7)).toEqual(transforms(7));
    expect(transforms(7)).not.toEqual(transforms(8));
  });

  it('never augments the test split', () => {
    const puzzles = [...puzzlesOf(4, 2, 'train'), ...puzzlesOf(4, 3, 'test')];
    const test = [...sudoku.augment(puzzles, { num_aug: 10 }, 0, 'test')];
    expect(test).toHaveLength(3);
    expect(test.every((g) => g.length === 1 && g[0].transform === '')).toBe(true);
  });

  it('transpose: false never transposes', () => {
    const groups = [...sudoku.augment(puzzlesOf(9, 1), { num_aug: 40, transpose: false }, 0, 'train')];
    expect(groups[0].slice(1).every((a) => a.transform.startsWith('t0'))).toBe(true);
    const withT = [...sudoku.augment(puzzlesOf(9, 1), { num_aug: 40 }, 0, 'train')];
    expect(withT[0].some((a) => a.transform.startsWith('t1'))).toBe(true);
  });

  it('the bulk typed-array path gives exactly the streaming path + encode', () => {
    const spec = boardSpec(9);
    const puzzles = puzzlesOf(9, 3);
    const bulk = augmentEncodeArrays(puzzles, spec, { numAug: 6, transpose: true }, 5, 'train', true);
    let row = 0;
    for (const group of augmentGroups(puzzles, spec, { numAug: 6, transpose: true }, 5, 'train')) {
      for (const aug of group) {
        const enc = sudoku.encode(aug.examples[0], { size: 9 });
        expect(Array.from(bulk.inputs.subarray(row * 81, (row + 1) * 81))).toEqual(Array.from(enc.inputs));
        expect(Array.from(bulk.labels.subarray(row * 81, (row + 1) * 81))).toEqual(Array.from(enc.labels));
        expect(bulk.groupIndex[row]).toBe(aug.group);
        expect(transformAt(bulk, row)).toBe(aug.transform);
        row++;
      }
    }
    expect(row).toBe(21);
    expect(bulk.groupIndex.length).toBe(21);
  });
});

describe('transform text form', () => {
  it('round-trips and inverts', () => {
    const spec = boardSpec(9);
    const rng = createRng(2);
    const t = sampleTransform(spec, rng, true, identityTransform(spec));
    const text = serializeTransform(t);
    expect(text).toMatch(/^t[01] r\d{9} c\d{9} d\d{9}$/);
    const back = parseTransform(text, spec);
    expect(serializeTransform(back)).toBe(text);
    const grid = generatePuzzle(spec, rng).solution;
    expect(Array.from(invertTransform(applyTransform(grid, back, spec), back, spec))).toEqual(Array.from(grid));
    expect(serializeTransform(parseTransform('', spec))).toBe('t0 r012345678 c012345678 d123456789');
  });

  it('rejects malformed text with the reason', () => {
    const spec = boardSpec(9);
    expect(() => parseTransform('t1 r012345678 c012345678', spec)).toThrow(/expected "t<0\|1> r<rows>/);
    expect(() => parseTransform('t0 r012345677 c012345678 d123456789', spec)).toThrow(/rows is not a permutation/);
    expect(() => parseTransform('t0 r012345 c012345 d123456', boardSpec(6)).rows).not.toThrow();
    expect(() => parseTransform('t1 r012345 c012345 d123456', boardSpec(6))).toThrow(/transpose is not a symmetry/);
  });
});
