import { describe, expect, it } from 'vitest';
import type { DatasetLib } from '@trm/dataset';
import type { Row } from '../artifacts/arrow-table.ts';
import toy from '../testing/toy-dataset.ts';
import { IdentifierScan, encodeRows } from './encode-rows.ts';

async function* from(rows: Row[]): AsyncGenerator<Row> { yield* rows; }
const row = (group: number, aug: number, name: string, cells: number[]): Row => ({
  group, aug_index: aug, name, transform: '', example_index: 0, role: 'test', in_rows: 1, in_cols: cells.length, out_rows: 1, out_cols: cells.length,
  input: Uint8Array.from(cells), output: Uint8Array.from([...cells].reverse()), offset_row: null, offset_col: null,
});
const shape = toy.shape({});

describe('encode rows (pure)', () => {
  it('maps names to ids train first with "" as the blank 0, and counts groups, puzzles, examples', async () => {
    const scan = new IdentifierScan();
    const train = await scan.scan('train', from([row(0, 0, 'a', [1]), row(0, 0, 'a', [2]), row(0, 1, 'b', [3]), row(1, 0, '', [4])]));
    const test = await scan.scan('test', from([row(0, 0, 'c', [5]), row(0, 1, 'a', [6])]));
    expect(train).toEqual({ groups: 2, puzzles: 3, examples: 4 });
    expect(test).toEqual({ groups: 1, puzzles: 2, examples: 2 });
    expect([...scan.ids]).toEqual([['', 0], ['a', 1], ['b', 2], ['c', 3]]);
    expect(scan.names()).toEqual(['<blank>', 'a', 'b', 'c']);
    expect(scan.augmented.map((a) => `${a.split}:${a.name}`)).toEqual(['train:a', 'train:b', 'train:', 'test:c', 'test:a']);
  });

  it('numbers puzzles per (group, copy) and checks lengths and vocabulary', async () => {
    const ids = new Map([['', 0], ['x', 1]]);
    const rows = [row(0, 0, 'x', [1, 2, 3, 4, 5, 6]), row(0, 0, 'x', [6, 5, 4, 3, 2, 1]), row(0, 1, '', [1, 1, 1, 1, 1, 1]), row(1, 0, '', [2, 2, 2, 2, 2, 2])];
    const out: Row[] = [];
    for await (const r of encodeRows(toy, {}, shape, ids, 'train', from(rows))) out.push(r);
    expect(out.map((r) => [r.puzzle_index, r.group_index, r.puzzle_identifier])).toEqual([[0, 0, 1], [0, 0, 1], [1, 0, 0], [2, 1, 0]]);
    expect(Array.from(out[0].inputs as Uint8Array)).toEqual([2, 3, 4, 5, 6, 7]);

    const short: DatasetLib = { ...toy, encode: () => ({ inputs: new Uint8Array(5), labels: new Uint8Array(6) }) };
    await expect(async () => { for await (const _ of encodeRows(short, {}, shape, ids, 'test', from(rows))) { /* drain */ } }).rejects.toThrow('dataset toy: encode gave 5/6 tokens for test row 0, expected seq_len 6');
    const big: DatasetLib = { ...toy, encode: () => ({ inputs: new Uint8Array(6).fill(11), labels: new Uint8Array(6) }) };
    await expect(async () => { for await (const _ of encodeRows(big, {}, shape, ids, 'test', from(rows))) { /* drain */ } }).rejects.toThrow('token 11 >= vocab_size 11 in test row 0');
    await expect(async () => { for await (const _ of encodeRows(toy, {}, shape, new Map([['', 0]]), 'test', from(rows))) { /* drain */ } }).rejects.toThrow('identifier "x" was not scanned');
  });
});
