import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ReferenceIndexBuilder, pythonFloatRepr, pythonJson, referenceDatasetJson, referenceIdentifiersJson } from './index.ts';

const DATA = fileURLToPath(new URL('../../../../shared/data/', import.meta.url));

describe('python json', () => {
  it.each([
    [1, '1.0'], [0.5, '0.5'], [1 / 3, '0.3333333333333333'], [1e16, '1e+16'], [9999999999999998, '9999999999999998.0'],
    [1e-4, '0.0001'], [1e-5, '1e-05'], [2.5e-7, '2.5e-07'], [1.5e300, '1.5e+300'], [-0.0, '-0.0'], [123456.789, '123456.789'],
    [4.333333333333333, '4.333333333333333'], [100, '100.0'], [1e22, '1e+22'],
  ])('repr(float(%d)) = %s', (x, repr) => {
    expect(pythonFloatRepr(x)).toBe(repr);
  });

  it('writes strings and lists as json.dumps (ensure_ascii, ", " separators)', () => {
    expect(pythonJson(['<blank>', 'a|||t1|||0123456789', 'é\u007f"\n'])).toBe('["<blank>", "a|||t1|||0123456789", "\\u00e9\\u007f\\"\\n"]');
    expect(referenceIdentifiersJson(['<blank>'])).toBe('["<blank>"]');
  });

  it('dataset.json has PuzzleDatasetMetadata\'s fields in order, and the values of the reference builder files', () => {
    const meta = { pad_id: 0, ignore_label_id: 0, blank_identifier_id: 0, vocab_size: 11, seq_len: 81, num_puzzle_identifiers: 1, total_groups: 1000, mean_puzzle_examples: 1, total_puzzles: 1000, sets: ['all'] };
    const text = referenceDatasetJson(meta);
    expect(text).toBe('{"pad_id": 0, "ignore_label_id": 0, "blank_identifier_id": 0, "vocab_size": 11, "seq_len": 81, "num_puzzle_identifiers": 1, "total_groups": 1000, "mean_puzzle_examples": 1.0, "total_puzzles": 1000, "sets": ["all"]}');
    // the shared files were written by other versions of the builders (another field order; Maze's without total_puzzles)
    const shared = JSON.parse(fs.readFileSync(`${DATA}sudoku/reference-npy/train/dataset.json`, 'utf8'));
    expect(JSON.parse(text)).toEqual(shared);
    expect(referenceDatasetJson({ ...meta, ignore_label_id: null, mean_puzzle_examples: 13 / 3 })).toContain('"ignore_label_id": null, "blank_identifier_id": 0, "vocab_size": 11, "seq_len": 81, "num_puzzle_identifiers": 1, "total_groups": 1000, "mean_puzzle_examples": 4.333333333333333,');
  });
});

describe('ReferenceIndexBuilder', () => {
  it('one example per puzzle and group (Sudoku, Maze without augmentation)', () => {
    const b = new ReferenceIndexBuilder();
    for (let i = 0; i < 4; i++) b.add({ puzzleIdentifier: 0, puzzleIndex: i, groupIndex: i });
    expect(b.finish()).toEqual({ puzzle_identifiers: Int32Array.from([0, 0, 0, 0]), puzzle_indices: Int32Array.from([0, 1, 2, 3, 4]), group_indices: Int32Array.from([0, 1, 2, 3, 4]) });
  });

  it('puzzles of several examples inside groups of several puzzles (ARC with augmentations)', () => {
    const b = new ReferenceIndexBuilder();
    // group 0: puzzle 0 (id 1, 3 examples), puzzle 1 (id 2, 3 examples); group 1: puzzle 2 (id 3, 2 examples)
    for (const [id, p, g, n] of [[1, 0, 0, 3], [2, 1, 0, 3], [3, 2, 1, 2]]) for (let e = 0; e < n; e++) b.add({ puzzleIdentifier: id, puzzleIndex: p, groupIndex: g });
    expect(b.counts).toEqual({ examples: 8, puzzles: 3, groups: 2 });
    expect(b.finish()).toEqual({ puzzle_identifiers: Int32Array.from([1, 2, 3]), puzzle_indices: Int32Array.from([0, 3, 6, 8]), group_indices: Int32Array.from([0, 2, 3]) });
  });

  it('an empty split has the closing totals only', () => {
    expect(new ReferenceIndexBuilder().finish()).toEqual({ puzzle_identifiers: new Int32Array(0), puzzle_indices: Int32Array.from([0]), group_indices: Int32Array.from([0]) });
  });

  it('a puzzle with two identifiers is an error naming the row', () => {
    const b = new ReferenceIndexBuilder('test.arrow');
    b.add({ puzzleIdentifier: 1, puzzleIndex: 0, groupIndex: 0 });
    expect(() => b.add({ puzzleIdentifier: 2, puzzleIndex: 0, groupIndex: 0 })).toThrow(/test\.arrow row 1: puzzle 0 has identifiers 1 and 2/);
  });
});
