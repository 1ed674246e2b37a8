import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readTable } from './open-stage.ts';
import { openArrowFile, readColumnBatches, writeArrowFile, type ColumnSpec, type Row } from './arrow-table.ts';
import { isUpToDate, readManifest, verifyFiles, type ManifestKey } from './manifest.ts';
import { writeStage } from './stage-writer.ts';

const cols: ColumnSpec[] = [
  { name: 's', kind: 'utf8' },
  { name: 'i', kind: 'int32' },
  { name: 'u', kind: 'uint8', nullable: true },
  { name: 'f', kind: 'float32' },
  { name: 'd', kind: 'float64' },
  { name: 'b', kind: 'bool' },
  { name: 'l', kind: 'list-u8', nullable: true },
  { name: 'x', kind: { fixedU8: 3 } },
];

function rows(n: number): Row[] {
  return Array.from({ length: n }, (_, k) => ({
    s: `row-${k}-é`, i: k * 1000 - 7, u: k % 3 === 0 ? null : k % 256, f: k / 4, d: Math.PI * k, b: k % 2 === 0,
    l: k % 5 === 0 ? null : Uint8Array.from({ length: k % 7 }, (_, j) => j + k), x: Uint8Array.from([k, k + 1, k + 2].map((v) => v % 256)),
  }));
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'trm-art-'));
const key: ManifestKey = { stage: 'fetch', config: 'c', dataset: 'toy', configHash: 'h', inputs: {}, code: 'code', backend: null };

describe('Arrow tables', () => {
  it('a table without rows reads back as no rows, by rows and by columns (an empty test split)', async () => {
    const file = path.join(tmp(), 'empty.arrow');
    expect(await writeArrowFile(file, cols, [], { metadata: { 'trm.x': '1' } })).toBe(0);
    expect(await readTable(file)).toEqual([]);
    let batches = 0;
    for await (const _ of readColumnBatches(file)) batches++;
    expect(batches).toBe(0);
  });

  it('round-trip every column kind over several record batches', async () => {
    const file = path.join(tmp(), 't.arrow');
    const n = await writeArrowFile(file, cols, rows(23), { batchSize: 5, metadata: { 'trm.x': '{"a":1}' } });
    expect(n).toBe(23);
    const { info, batches } = await openArrowFile(file);
    expect(info.batches).toBe(5);
    expect(info.metadata['trm.x']).toBe('{"a":1}');
    const sizes: number[] = [];
    for await (const b of batches) sizes.push(b.length);
    expect(sizes).toEqual([5, 5, 5, 5, 3]);
    const back = await readTable(file);
    const want = rows(23).map((r) => ({ ...r, f: Math.fround(r.f as number) }));
    expect(back).toEqual(want);
  });

  it('writes byte-identical files for identical input', async () => {
    const a = path.join(tmp(), 'a.arrow');
    const b = path.join(tmp(), 'b.arrow');
    await writeArrowFile(a, cols, rows(10), { metadata: { z: '1', a: '2' } });
    await writeArrowFile(b, cols, rows(10), { metadata: { a: '2', z: '1' } });
    expect(fs.readFileSync(a).equals(fs.readFileSync(b))).toBe(true);
  });

  it('rejects wrong widths and nulls in non-nullable columns', async () => {
    const dir = tmp();
    await expect(writeArrowFile(path.join(dir, 'w.arrow'), cols, [{ ...rows(1)[0], x: new Uint8Array(2) }])).rejects.toThrow('column x row 0: expected 3 uint8 values, got 2');
    await expect(writeArrowFile(path.join(dir, 'n.arrow'), cols, [{ ...rows(1)[0], i: null }])).rejects.toThrow('column i: null value in a non-nullable column');
  });

  it('fails clearly on a truncated file', async () => {
    const file = path.join(tmp(), 't.arrow');
    await writeArrowFile(file, cols, rows(50), { batchSize: 10 });
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 40));
    await expect(readTable(file)).rejects.toThrow(file);
  });
});

describe('stage folders', () => {
  it('are written atomically with a manifest listing sha256 and rows', async () => {
    const dir = path.join(tmp(), 'fetch');
    const m = await writeStage(dir, key, async (t) => {
      await writeArrowFile(path.join(t, 'puzzles.arrow'), cols, rows(7));
      fs.writeFileSync(path.join(t, 'extra.json'), '{}');
      return { note: 1 };
    });
    expect(m.files['puzzles.arrow'].rows).toBe(7);
    expect(m.files['extra.json'].rows).toBeUndefined();
    expect(fs.readdirSync(path.dirname(dir))).toEqual(['fetch']);
    expect(readManifest(dir, 'fetch', 'c').manifest).toEqual(m);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')).note).toBe(1);
    expect(await isUpToDate(dir, key)).toBe(true);
    expect(await isUpToDate(dir, { ...key, configHash: 'other' })).toBe(false);
    expect(await isUpToDate(dir, { ...key, inputs: { x: 'y' } })).toBe(false);
  });

  it('leave nothing half-written on error and keep the previous output', async () => {
    const dir = path.join(tmp(), 'fetch');
    await writeStage(dir, key, async (t) => { fs.writeFileSync(path.join(t, 'a.txt'), 'old'); });
    await expect(writeStage(dir, { ...key, configHash: 'new' }, async (t) => {
      fs.writeFileSync(path.join(t, 'a.txt'), 'new');
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(fs.readdirSync(path.dirname(dir))).toEqual(['fetch']);
    expect(fs.readFileSync(path.join(dir, 'a.txt'), 'utf8')).toBe('old');
    expect(await isUpToDate(dir, key)).toBe(true);
  });

  it('clean up temporary folders of killed processes, not of live ones', async () => {
    const base = tmp();
    const dir = path.join(base, 'encode');
    const dead = 2 ** 22 + 12345; // above the default pid_max: no such process
    fs.mkdirSync(`${dir}.tmp-${dead}`);
    fs.mkdirSync(`${dir}.old-${dead}`);
    fs.mkdirSync(`${dir}.tmp-1`); // pid 1 is alive
    fs.mkdirSync(path.join(base, 'encoder.tmp-99999999'));
    await writeStage(dir, { ...key, stage: 'encode' }, async () => {});
    expect(fs.readdirSync(base).sort()).toEqual(['encode', 'encode.tmp-1', 'encoder.tmp-99999999']);
  });

  it('detect missing stages, wrong kinds, truncation and corruption', async () => {
    const base = tmp();
    expect(() => readManifest(path.join(base, 'augment'), 'augment', 'cfg')).toThrow('the augment stage has not been run for config cfg (no manifest.json); run `trm augment --config cfg`');
    const dir = path.join(base, 'fetch');
    await writeStage(dir, key, async (t) => { await writeArrowFile(path.join(t, 'p.arrow'), cols, rows(30)); });
    expect(() => readManifest(dir, 'encode', 'c')).toThrow('kind is "trm.fetch", expected "trm.encode"');
    const { manifest } = readManifest(dir, 'fetch', 'c');
    const f = path.join(dir, 'p.arrow');
    const bytes = fs.readFileSync(f);
    const flipped = Buffer.from(bytes);
    flipped[100] ^= 0xff;
    fs.writeFileSync(f, flipped);
    await expect(verifyFiles(dir, manifest)).rejects.toThrow('does not match the manifest');
    expect(await isUpToDate(dir, key)).toBe(false);
    fs.writeFileSync(f, bytes.subarray(0, 100));
    await expect(verifyFiles(dir, manifest)).rejects.toThrow(`100 bytes, manifest says ${bytes.length} (truncated or modified)`);
    fs.rmSync(f);
    await expect(verifyFiles(dir, manifest)).rejects.toThrow('missing');
    const mf = path.join(dir, 'manifest.json');
    fs.writeFileSync(mf, fs.readFileSync(mf, 'utf8').replace('"schemaVersion": 1', '"schemaVersion": 99'));
    expect(() => readManifest(dir, 'fetch', 'c')).toThrow('schemaVersion 99, this pipeline reads 1');
  });
});
