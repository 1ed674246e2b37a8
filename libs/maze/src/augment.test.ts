import { describe, expect, it } from 'vitest';
import type { RawPuzzle } from '@trm/dataset';
import { maze } from './maze.ts';
import { parseMaze, mazeToString } from './cells.ts';
import { checkPath } from './evaluate.ts';

// a 3x4 maze whose path turns, so that every symmetry gives a different picture
const input = parseMaze('S   ' + '### ' + 'G   ', 3, 4, 'a');
const output = parseMaze('Sooo' + '###o' + 'Gooo', 3, 4, 'b');
const puzzles: RawPuzzle[] = [
  { id: 'train-000000', split: 'train', examples: [{ input, output, role: 'test' }] },
  { id: 'train-000001', split: 'train', examples: [{ input: output, output, role: 'test' }] },
  { id: 'test-000000', split: 'test', examples: [{ input, output, role: 'test' }] },
];

describe('augment', () => {
  it('train: groups of the 8 dihedral transforms, original first, all distinct, all still solved', () => {
    const groups = [...maze.augment(puzzles, {}, 0, 'train')];
    expect(groups).toHaveLength(2);
    expect(groups.map((g) => g[0].group)).toEqual([0, 1]);
    const first = groups[0];
    expect(first.map((p) => p.augIndex)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(first[0].transform).toBe('');
    expect(mazeToString(first[0].examples[0].input)).toBe(mazeToString(input));
    expect(new Set(first.map((p) => mazeToString(p.examples[0].input) + p.examples[0].input.rows)).size).toBe(8);
    for (const p of first) {
      expect(p.name).toBe('');
      const ex = p.examples[0];
      expect(checkPath(ex.input, ex.output!).optimal).toBe(true);
    }
    expect(first[1].examples[0].input.rows).toBe(4); // rot90 swaps the sides
  });

  it('inverse undoes every transform', () => {
    const [group] = [...maze.augment(puzzles, {}, 0, 'train')];
    for (const p of group) {
      const back = maze.inverse(p.examples[0].output!, p.transform);
      expect([back.rows, back.cols]).toEqual([3, 4]);
      expect(mazeToString(back)).toBe(mazeToString(output));
    }
    expect(() => maze.inverse(output, 'rot90')).toThrow(/unknown transform "rot90"/);
  });

  it('test split and augment.dihedral=false keep only the originals', () => {
    const test = [...maze.augment(puzzles, {}, 0, 'test')];
    expect(test).toHaveLength(1);
    expect(test[0]).toHaveLength(1);
    const off = [...maze.augment(puzzles, { dihedral: false }, 0, 'train')];
    expect(off.map((g) => g.length)).toEqual([1, 1]);
  });

  it('streams: the first group is available before the rest is built', () => {
    const it = maze.augment(puzzles, {}, 0, 'train')[Symbol.iterator]();
    const first = it.next();
    expect(first.done).toBe(false);
    expect(first.value).toHaveLength(8);
  });
});

describe('encode / decode / shape', () => {
  it('reference layout: tokens 1..5, vocab 6, seq_len 900, ignore 0', () => {
    const shape = maze.shape({});
    expect(shape).toMatchObject({ vocabSize: 6, seqLen: 900, padId: 0, ignoreLabelId: 0 });
    expect(shape.tokenNames).toEqual(['<pad>', '#', ' ', 'S', 'G', 'o']);
    const enc = maze.encode({ input: parseMaze('# SGo' + '    ', 3, 3, 'x'), output: parseMaze('# SGo' + '    ', 3, 3, 'x'), role: 'test' }, { rows: 3, cols: 3 });
    expect([...enc.inputs]).toEqual([1, 2, 3, 4, 5, 2, 2, 2, 2]);
  });

  it('pads smaller mazes on the canvas with PAD and decodes back', () => {
    const enc = maze.encode({ input, output, role: 'test' }, { rows: 5, cols: 6 });
    expect(enc.inputs).toHaveLength(30);
    expect([...enc.labels.slice(0, 6)]).toEqual([3, 5, 5, 5, 0, 0]);
    expect(enc.labels.slice(18).every((t) => t === 0)).toBe(true);
    const back = maze.decode(enc.labels, { rows: 5, cols: 6 });
    expect(mazeToString(back)).toBe(mazeToString(output));
    expect(back.rows).toBe(3);
  });

  it('rejects mazes larger than the canvas and unsolved examples', () => {
    expect(() => maze.encode({ input, output, role: 'test' }, { rows: 2, cols: 8 })).toThrow(/input is 3x4, larger than the 2x8 canvas/);
    expect(() => maze.encode({ input, output: null, role: 'test' }, { rows: 3, cols: 4 })).toThrow(/without an answer/);
    expect(() => maze.decode(new Uint8Array(5), { rows: 3, cols: 4 })).toThrow(/expected 12 tokens/);
  });
});
