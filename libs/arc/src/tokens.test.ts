import { describe, expect, it } from 'vitest';
import type { Grid } from '@trm/dataset';
import { arc } from './index.ts';
import { CANVAS, EOS, PAD, cropTokens, gridToCanvas } from './tokens.ts';

const grid = (rows: number[][]): Grid => ({ rows: rows.length, cols: rows[0].length, cells: Uint8Array.from(rows.flat()) });

describe('arc tokens', () => {
  it('has the reference shape: vocab 12, seq 900, PAD 0 ignored', () => {
    const s = arc.shape({});
    expect([s.vocabSize, s.seqLen, s.padId, s.ignoreLabelId]).toEqual([12, 900, 0, 0]);
    expect(s.tokenNames.slice(0, 3)).toEqual(['PAD', 'EOS', '0']);
  });

  it('places a grid top-left with colours +2, an EOS row under it and an EOS column right of it', () => {
    const g = grid([[0, 1, 2], [3, 4, 9]]);
    const t = gridToCanvas(g);
    expect(Array.from(t.subarray(0, 5))).toEqual([2, 3, 4, EOS, PAD]);
    expect(Array.from(t.subarray(CANVAS, CANVAS + 5))).toEqual([5, 6, 11, EOS, PAD]);
    expect(Array.from(t.subarray(2 * CANVAS, 2 * CANVAS + 5))).toEqual([EOS, EOS, EOS, PAD, PAD]); // corner stays PAD
    expect(t.reduce((n, x) => n + (x === EOS ? 1 : 0), 0)).toBe(3 + 2);
    expect(t.reduce((n, x) => n + (x >= 2 ? 1 : 0), 0)).toBe(6);
  });

  it('writes no EOS where the grid touches the canvas edge', () => {
    const full = { rows: 30, cols: 30, cells: new Uint8Array(900).fill(7) };
    const t = gridToCanvas(full);
    expect(t.every((x) => x === 9)).toBe(true);
    const wide = gridToCanvas({ rows: 2, cols: 30, cells: new Uint8Array(60) });
    expect(Array.from(wide.subarray(60, 90)).every((x) => x === EOS)).toBe(true);
    expect(wide[59]).toBe(2);
  });

  it('round-trips encode -> decode, with and without translation offset', () => {
    const g = grid([[1, 2, 3, 4], [5, 6, 7, 8], [9, 0, 1, 2]]);
    const enc = arc.encode({ input: g, output: g, role: 'train' }, {});
    expect(arc.decode(enc.inputs, {})).toEqual(g);
    expect(arc.decode(enc.labels, {})).toEqual(g);
    const moved = arc.encode({ input: g, output: g, role: 'train', offset: { row: 5, col: 7 } }, {});
    expect(moved.inputs[5 * CANVAS + 7]).toBe(3);
    expect(moved.inputs[0]).toBe(PAD);
    expect(moved.inputs[8 * CANVAS + 7]).toBe(EOS); // EOS row under the moved grid
    expect(moved.inputs[5 * CANVAS + 11]).toBe(EOS); // EOS column right of it
    expect(moved.inputs[5 * CANVAS + 6]).toBe(PAD);
  });

  it('labels an example without answer as all PAD (ignored)', () => {
    const enc = arc.encode({ input: grid([[1]]), output: null, role: 'test' }, {});
    expect(enc.labels.every((x) => x === PAD)).toBe(true);
  });

  it('refuses a grid that does not fit at its offset', () => {
    expect(() => gridToCanvas(grid([[1, 2]]), 0, 29)).toThrow(/does not fit/);
  });

  it('crops the largest top-left rectangle free of PAD/EOS, as the reference _crop', () => {
    const t = new Uint8Array(900);
    // row 0: 4 colours; row 1: 2 colours then EOS; row 2: 2 colours; row 3 starts with PAD
    t.set([2, 3, 4, 5, EOS], 0);
    t.set([6, 7, EOS], CANVAS);
    t.set([8, 9, 10], 2 * CANVAS);
    // candidates: 1x4 = 4, 2x2 = 4, 3x2 = 6 -> 3x2 wins; the width never grows back
    expect(cropTokens(t)).toEqual(grid([[0, 1], [4, 5], [6, 7]]));
    expect(cropTokens(new Uint8Array(900))).toEqual({ rows: 0, cols: 0, cells: new Uint8Array(0) });
  });
});
