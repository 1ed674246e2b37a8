import { describe, expect, it } from 'vitest';
import { createRng } from '@trm/augment';
import { boardSpec } from './board.ts';
import { CanonicalSet, canonicalKey, puzzleInvariant } from './canonical.ts';
import { generatePuzzle } from './generator.ts';
import { applyTransform, identityTransform, sampleTransform } from './transform.ts';

describe('canonical form under the augmentation group', () => {
  it.each([4, 6, 9])('is the same for every augmented copy (n = %i)', (n) => {
    const spec = boardSpec(n);
    const rng = createRng(100 + n);
    const t = identityTransform(spec);
    for (let k = 0; k < 3; k++) {
      const p = generatePuzzle(spec, rng);
      const key = canonicalKey(p.puzzle, p.solution, spec);
      const inv = puzzleInvariant(p.puzzle, spec);
      for (let a = 0; a < 8; a++) {
        sampleTransform(spec, rng, true, t);
        const q = applyTransform(p.puzzle, t, spec);
        const s = applyTransform(p.solution, t, spec);
        expect(canonicalKey(q, s, spec)).toBe(key);
        expect(puzzleInvariant(q, spec)).toBe(inv);
      }
    }
  });

  it('tells different puzzles apart, including the same grid with different givens', () => {
    const spec = boardSpec(9);
    const rng = createRng(9);
    const a = generatePuzzle(spec, rng);
    const b = generatePuzzle(spec, rng);
    expect(canonicalKey(a.puzzle, a.solution, spec)).not.toBe(canonicalKey(b.puzzle, b.solution, spec));
    const moreGivens = a.puzzle.slice();
    const blank = moreGivens.indexOf(0);
    moreGivens[blank] = a.solution[blank];
    expect(canonicalKey(moreGivens, a.solution, spec)).not.toBe(canonicalKey(a.puzzle, a.solution, spec));
  });

  it('CanonicalSet adds each class once and finds augmented copies', () => {
    const spec = boardSpec(9);
    const rng = createRng(1);
    const set = new CanonicalSet(spec);
    const p = generatePuzzle(spec, rng);
    expect(set.add(p.puzzle, p.solution)).toBe(true);
    const t = sampleTransform(spec, rng, true, identityTransform(spec));
    expect(set.has(applyTransform(p.puzzle, t, spec), applyTransform(p.solution, t, spec))).toBe(true);
    expect(set.add(applyTransform(p.puzzle, t, spec), applyTransform(p.solution, t, spec))).toBe(false);
    const other = generatePuzzle(spec, rng);
    expect(set.has(other.puzzle, other.solution)).toBe(false);
    expect(set.add(other.puzzle, other.solution)).toBe(true);
    expect(set.size).toBe(2);
  });
});
