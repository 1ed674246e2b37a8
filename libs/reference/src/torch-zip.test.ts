import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import type { TensorDict } from '@trm/tensor-core';
import { readCheckpoint, readTorchZip, stripCompilePrefix, writeTorchZip } from './index.ts';
import { assemble } from './testing/pickles.ts';

const CHECKPOINTS = fileURLToPath(new URL('../../../../shared/fixtures/checkpoints/', import.meta.url));
const fixtureFiles = fs.existsSync(CHECKPOINTS)
  ? fs.readdirSync(CHECKPOINTS).filter((d) => fs.statSync(path.join(CHECKPOINTS, d)).isDirectory()).flatMap((d) => fs.readdirSync(path.join(CHECKPOINTS, d)).map((f) => `${d}/${f}`))
  : [];

const f32 = (shape: number[], seed: number): TensorDict[string] => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', shape, data: Float32Array.from({ length: n }, (_, i) => Math.fround(Math.sin(seed * 100 + i) * 3)) };
};

describe('PyTorch zip checkpoints written by the reference code', () => {
  it('finds the checkpoint fixtures', () => {
    if (fixtureFiles.length === 0) console.log(`no checkpoint fixtures under ${CHECKPOINTS}`);
    expect(fixtureFiles.length).toBeGreaterThan(0);
  });

  it.each(fixtureFiles)('%s reads as a state dict of the reference names', (rel) => {
    const ck = readCheckpoint(new Uint8Array(fs.readFileSync(path.join(CHECKPOINTS, rel))), rel);
    expect(ck.format).toBe('pytorch-zip');
    const names = Object.keys(ck.tensors);
    expect(names.length).toBeGreaterThan(5);
    const compiled = names.every((n) => n.startsWith('_orig_mod.'));
    expect(compiled || names.every((n) => !n.startsWith('_orig_mod.'))).toBe(true);
    const bare = stripCompilePrefix(ck.tensors, rel);
    expect(Object.keys(bare)).toContain('model.inner.lm_head.weight');
    expect(bare['model.inner.H_init'].shape.length).toBe(1);
    for (const t of Object.values(bare)) expect(t.dtype).toBe('float32');
    const dtypes = new Set(Object.values(ck.sourceDtypes));
    expect(dtypes.size).toBe(1);
    expect([...dtypes][0]).toBe(rel.includes('bf16') ? 'bfloat16' : 'float32');
  });
});

describe('writeTorchZip', () => {
  const dict: TensorDict = {
    '_orig_mod.model.inner.H_init': f32([8], 1),
    '_orig_mod.model.inner.lm_head.weight': f32([5, 8], 2),
    '_orig_mod.model.inner.q_head.bias': f32([2], 3),
    '_orig_mod.scalar': f32([], 4),
  };

  it('round-trips through the reader bit for bit, keeping the key order', () => {
    const back = readTorchZip(writeTorchZip(dict), 'written.pt');
    expect(Object.keys(back.tensors)).toEqual(Object.keys(dict));
    for (const [k, t] of Object.entries(dict)) {
      expect(back.tensors[k].shape).toEqual(t.shape);
      expect(new Uint32Array((back.tensors[k].data as Float32Array).buffer)).toEqual(new Uint32Array((t.data as Float32Array).buffer));
    }
  });

  it('is deterministic and lays the zip out as torch.save does (stored entries, data 64-byte aligned)', () => {
    const a = writeTorchZip(dict, { archive: 'step_7' });
    expect(writeTorchZip(dict, { archive: 'step_7' })).toEqual(a);
    const names = Object.keys(unzipSync(a));
    expect(names).toEqual(['step_7/data.pkl', 'step_7/byteorder', 'step_7/data/0', 'step_7/data/1', 'step_7/data/2', 'step_7/data/3', 'step_7/version']);
    // walk the local headers: method 0 (stored), and every data/<i> payload starts at a multiple of 64
    const view = new DataView(a.buffer, a.byteOffset, a.byteLength);
    let at = 0;
    for (const name of names) {
      expect(view.getUint32(at, true)).toBe(0x04034b50);
      expect(view.getUint16(at + 8, true)).toBe(0);
      const size = view.getUint32(at + 18, true);
      const dataAt = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
      expect(new TextDecoder().decode(a.subarray(at + 30, at + 30 + view.getUint16(at + 26, true)))).toBe(name);
      expect(dataAt % 64, name).toBe(0);
      at = dataAt + size;
    }
  });

  it('refuses what it cannot write', () => {
    expect(() => writeTorchZip({ x: { dtype: 'int32', shape: [1], data: new Int32Array(1) } })).toThrow(/only float32/);
    expect(() => writeTorchZip(dict, { archive: '../x' })).toThrow(/plain folder name/);
  });
});

describe('readTorchZip: layouts and element types', () => {
  /** A state dict pickle over hand-made storages: each entry [name, storage type, key, numel, offset, shape, stride]. */
  function zipOf(entries: [string, string, string, number, number, number[], number[]][], storages: Record<string, Uint8Array>, extra: Record<string, Uint8Array> = {}): Uint8Array {
    const ops: Parameters<typeof assemble> = [['PROTO', 2], ['EMPTY_DICT'], ['MARK']];
    for (const [name, type, key, numel, offset, shape, stride] of entries) {
      ops.push(['BINUNICODE', name], ['GLOBAL', 'torch._utils', '_rebuild_tensor_v2'], ['MARK'],
        ['MARK'], ['BINUNICODE', 'storage'], ['GLOBAL', 'torch', type], ['BINUNICODE', key], ['BINUNICODE', 'cpu'], ['BININT', numel], ['TUPLE'], ['BINPERSID'],
        ['BININT', offset], ['MARK'], ...shape.map((s): ['BININT', number] => ['BININT', s]), ['TUPLE'], ['MARK'], ...stride.map((s): ['BININT', number] => ['BININT', s]), ['TUPLE'],
        ['NEWFALSE'], ['GLOBAL', 'collections', 'OrderedDict'], ['EMPTY_TUPLE'], ['REDUCE'], ['TUPLE'], ['REDUCE']);
    }
    ops.push(['SETITEMS'], ['STOP']);
    const files: Record<string, Uint8Array> = { 'archive/data.pkl': assemble(...ops), 'archive/.format_version': new TextEncoder().encode('1'), 'archive/byteorder': new TextEncoder().encode('little'), ...extra };
    for (const [k, v] of Object.entries(storages)) files[`archive/data/${k}`] = v;
    files['archive/version'] = new TextEncoder().encode('3\n');
    files['archive/.data/serialization_id'] = new TextEncoder().encode('1234');
    return zipSync(files, { level: 0 });
  }
  const bytesOf = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

  it('widens bfloat16 and float16 exactly, rounds float64, reads strided views and storage offsets (PyTorch 2.x layout)', () => {
    const bf16 = Uint16Array.from([0x3f80, 0xbfc0, 0x0001, 0x7f80]); // 1, -1.5, smallest subnormal, +inf
    const f16 = Uint16Array.from([0x3c00, 0xc000, 0x0001, 0x7bff]); // 1, -2, 2^-24, 65504
    const f64 = Float64Array.from([0.1, 1e300]);
    const base = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
    const zip = zipOf([
      ['b', 'BFloat16Storage', '0', 4, 0, [4], [1]],
      ['h', 'HalfStorage', '1', 4, 0, [2, 2], [2, 1]],
      ['d', 'DoubleStorage', '2', 2, 0, [2], [1]],
      ['t', 'FloatStorage', '3', 8, 0, [4, 2], [1, 4]], // the transpose of a [2, 4] tensor
      ['s', 'FloatStorage', '3', 8, 5, [3], [1]], // a view at storage offset 5, sharing storage 3
      ['i', 'LongStorage', '4', 2, 0, [2], [1]],
    ], { 0: bytesOf(bf16), 1: bytesOf(f16), 2: bytesOf(f64), 3: bytesOf(base), 4: bytesOf(BigInt64Array.from([-3n, 2n ** 40n])) });
    const { tensors, sourceDtypes } = readTorchZip(zip, 'layouts.pt');
    expect(Array.from(tensors.b.data as Float32Array)).toEqual([1, -1.5, 2 ** -133, Infinity]);
    expect(Array.from(tensors.h.data as Float32Array)).toEqual([1, -2, 2 ** -24, 65504]);
    expect(tensors.h.shape).toEqual([2, 2]);
    expect(Array.from(tensors.d.data as Float32Array)).toEqual([Math.fround(0.1), Infinity]);
    expect(Array.from(tensors.t.data as Float32Array)).toEqual([0, 4, 1, 5, 2, 6, 3, 7]);
    expect(Array.from(tensors.s.data as Float32Array)).toEqual([5, 6, 7]);
    expect(Array.from(tensors.i.data as BigInt64Array)).toEqual([-3n, 2n ** 40n]);
    expect(sourceDtypes).toEqual({ b: 'bfloat16', h: 'float16', d: 'float64', t: 'float32', s: 'float32', i: 'int64' });
  });

  it('names the problem: missing storage, view outside its storage, big-endian, not a state dict', () => {
    expect(() => readTorchZip(zipOf([['w', 'FloatStorage', '9', 4, 0, [4], [1]]], {}), 'a.pt')).toThrow(/a\.pt: "w" refers to storage archive\/data\/9/);
    expect(() => readTorchZip(zipOf([['w', 'FloatStorage', '0', 4, 2, [4], [1]]], { 0: new Uint8Array(16) }), 'b.pt')).toThrow(/b\.pt: "w" \[4\] at offset 2 .* outside its storage of 4 elements/);
    expect(() => readTorchZip(zipOf([], {}, { 'archive/byteorder': new TextEncoder().encode('big') }), 'c.pt')).toThrow(/c\.pt: storages are big-endian/);
    const nested = zipSync({ 'archive/data.pkl': assemble(['PROTO', 2], ['EMPTY_DICT'], ['BINUNICODE', 'model'], ['EMPTY_DICT'], ['SETITEM'], ['STOP']) });
    expect(() => readTorchZip(nested, 'd.pt')).toThrow(/d\.pt: entry "model" is a dict, not a tensor/);
    expect(() => readCheckpoint(new TextEncoder().encode('hello world, not a checkpoint'), 'e.bin')).toThrow(/e\.bin: neither a PyTorch zip checkpoint/);
  });
});
