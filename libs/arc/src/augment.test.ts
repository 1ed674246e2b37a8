import { describe, expect, it } from 'vitest';
import type { AugmentedPuzzle, Grid, RawPuzzle } from '@trm/dataset';
import { dihedral } from '@trm/augment';
import { arc } from './index.ts';
import { taskHash } from './hash.ts';
import * as fs from 'node:fs';
import { ARC_DATA, fsIO } from './test-support.ts';
import { CANVAS } from './tokens.ts';
import { applyTransform, parseTransform, splitName } from './transform.ts';

const grid = (rows: number[][]): Grid => ({ rows: rows.length, cols: rows[0].length, cells: Uint8Array.from(rows.flat()) });
const samples = () => arc.fetch({ layout: 'per-task', path: `${ARC_DATA}/arc-agi-1-per-task-samples`, subsets: ['training', 'evaluation'], test_set_name: 'evaluation' }, fsIO(fs));
const all = (groups: Iterable<AugmentedPuzzle[]>) => [...groups];

describe('arc augment', () => {
  it('is deterministic in the seed and yields the original first in every group', async () => {
    const puzzles = await samples();
    const a = all(arc.augment(puzzles, { num_aug: 8 }, 3, 'train'));
    const b = all(arc.augment(puzzles, { num_aug: 8 }, 3, 'train'));
    const c = all(arc.augment(puzzles, { num_aug: 8 }, 4, 'train'));
    expect(a).toEqual(b);
    expect(a.map((g) => g.map((p) => p.name))).not.toEqual(c.map((g) => g.map((p) => p.name)));
    expect(a).toHaveLength(9);
    a.forEach((g, i) => {
      expect(g).toHaveLength(9);
      expect(g.every((p) => p.group === i && p.split === 'train')).toBe(true);
      expect(g.map((p) => p.augIndex)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      expect([g[0].transform, g[0].name]).toEqual(['', puzzles[i].id]);
      expect(g[1].name).toMatch(new RegExp(`^${puzzles[i].id}\\|\\|\\|t[0-7]\\|\\|\\|0\\d{9}$`));
    });
  });

  it('streams: the first group is available without building the others', async () => {
    const puzzles = await samples();
    const broken: RawPuzzle = { id: 'later', split: 'train', examples: [] };
    const it = arc.augment([...puzzles.slice(0, 1), broken], { num_aug: 2 }, 0, 'train')[Symbol.iterator]();
    expect(it.next().value).toHaveLength(3);
    expect(() => it.next()).toThrow(); // the broken puzzle is only touched when its group is asked for
  });

  it('deduplicates by the whole task and stops after retries_factor * num_aug draws', () => {
    // a 1x1 task of colour 1: only the colour can change, so 9 distinct tasks exist (the original + 8)
    const tiny: RawPuzzle = { id: 'tiny', split: 'train', examples: [{ input: grid([[1]]), output: grid([[1]]), role: 'train' }] };
    const [g] = all(arc.augment([tiny], { num_aug: 50 }, 0, 'train'));
    expect(g).toHaveLength(9);
    expect(new Set(g.map((p) => taskHash(p.examples))).size).toBe(9);
    expect(new Set(g.map((p) => p.examples[0].input.cells[0])).size).toBe(9);
    // an all-black task has no distinct copies at all
    const black: RawPuzzle = { id: 'black', split: 'train', examples: [{ input: grid([[0, 0]]), output: grid([[0]]), role: 'train' }] };
    // [[0,0]] has 2 distinct dihedral images (1x2 and 2x1)
    expect(all(arc.augment([black], { num_aug: 10 }, 0, 'train'))[0]).toHaveLength(2);
  });

  it('undoes every augmentation with inverse', async () => {
    const puzzles = (await samples()).filter((p) => p.split === 'train');
    for (const g of arc.augment(puzzles, { num_aug: 16, translate: false }, 1, 'train')) {
      const original = g[0].examples;
      for (const copy of g) {
        copy.examples.forEach((ex, i) => {
          expect(arc.inverse(ex.input, copy.transform)).toEqual(original[i].input);
          expect(arc.inverse(ex.output!, copy.transform)).toEqual(original[i].output);
          expect(applyTransform(original[i].input, parseTransform(copy.transform))).toEqual(ex.input);
        });
      }
    }
  });

  it('gives the test split of an evaluation task the same copies (names) as its training split', async () => {
    const puzzles = await samples();
    const train = all(arc.augment(puzzles, { num_aug: 6 }, 2, 'train'));
    const test = all(arc.augment(puzzles, { num_aug: 6 }, 2, 'test'));
    expect(test).toHaveLength(4);
    for (const g of test) {
      const id = g[0].name;
      const twin = train.find((t) => t[0].name === id)!;
      expect(g.map((p) => p.name)).toEqual(twin.map((p) => p.name));
      expect(g.every((p) => p.examples.every((e) => e.role === 'test' && e.offset === undefined))).toBe(true);
      // the copy's test input is the transform of the original's
      for (const p of g) expect(p.examples[0].input).toEqual(applyTransform(g[0].examples[0].input, parseTransform(p.transform)));
    }
    const testOnly = puzzles.filter((p) => p.split === 'test');
    expect(() => all(arc.augment(testOnly, { num_aug: 2 }, 2, 'test'))).toThrow(/pass all fetched puzzles/);
  });

  it('translates training examples inside the canvas, except exactly one per puzzle', async () => {
    const puzzles = await samples();
    let moved = 0;
    for (const g of arc.augment(puzzles, { num_aug: 4 }, 5, 'train')) {
      for (const p of g) {
        const still = p.examples.filter((e) => e.offset === undefined);
        expect(still).toHaveLength(1);
        for (const e of p.examples) {
          if (!e.offset) continue;
          moved += e.offset.row + e.offset.col > 0 ? 1 : 0;
          expect(e.offset.row + Math.max(e.input.rows, e.output!.rows)).toBeLessThanOrEqual(CANVAS);
          expect(e.offset.col + Math.max(e.input.cols, e.output!.cols)).toBeLessThanOrEqual(CANVAS);
          const enc = arc.encode(e, {});
          expect(enc.inputs[e.offset.row * CANVAS + e.offset.col]).toBe(e.input.cells[0] + 2);
        }
      }
    }
    expect(moved).toBeGreaterThan(50);
    const flat = all(arc.augment(puzzles, { num_aug: 4, translate: false }, 5, 'train'));
    expect(flat.every((g) => g.every((p) => p.examples.every((e) => e.offset === undefined)))).toBe(true);
  });

  it('applies each of the 8 dihedral transforms exactly as @trm/augment, after recolouring', () => {
    const g = grid([[1, 2, 3], [4, 5, 6]]);
    const mapping = Uint8Array.from([0, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    for (let k = 0; k < 8; k++) {
      const want = dihedral({ rows: 2, cols: 3, cells: g.cells.map((x) => mapping[x]) }, k);
      expect(applyTransform(g, { dihedral: k, mapping })).toEqual(want);
    }
  });

  it('names parse back into task id and transform', () => {
    expect(splitName('abc|||t3|||0123456789')).toEqual({ task: 'abc', transform: 't3|||0123456789' });
    expect(splitName('abc')).toEqual({ task: 'abc', transform: '' });
    expect(() => parseTransform('t9|||0123456789')).toThrow(/malformed/);
    expect(() => parseTransform('t1|||1023456789')).toThrow(/not a permutation keeping 0/);
  });
});
