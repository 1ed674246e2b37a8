import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from './safetensors.ts';
import type { TensorDict } from '../tensor-dict.ts';

const dict: TensorDict = {
  'model.inner.lm_head.weight': { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1.5, -2, 3.25, 0, -0, 1e-30]) },
  'optim.step': { dtype: 'int64', shape: [], data: BigInt64Array.from([123456789012n]) },
  'carry.steps': { dtype: 'int32', shape: [3], data: Int32Array.from([1, -100, 7]) },
  'carry.halted': { dtype: 'bool', shape: [3], data: Uint8Array.from([1, 0, 1]) },
  tokens: { dtype: 'uint8', shape: [1, 1], data: Uint8Array.from([255]) },
  double: { dtype: 'float64', shape: [1], data: Float64Array.from([Math.PI]) },
  empty: { dtype: 'float32', shape: [0, 4], data: new Float32Array(0) },
};

function handMade(header: object, data: number[]): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips every dtype, shape and the metadata exactly', () => {
    const bytes = encodeSafetensors(dict, { format: 'pt', step: '12' });
    const { tensors, metadata } = decodeSafetensors(bytes, 'x.safetensors');
    expect(metadata).toEqual({ format: 'pt', step: '12' });
    expect(Object.keys(tensors).sort()).toEqual(Object.keys(dict).sort());
    for (const [name, t] of Object.entries(dict)) {
      expect(tensors[name].dtype, name).toBe(t.dtype);
      expect(tensors[name].shape, name).toEqual(t.shape);
      expect(tensors[name].data, name).toEqual(t.data);
    }
    expect(Object.is((tensors['model.inner.lm_head.weight'].data as Float32Array)[4], -0)).toBe(true);
  });

  it('writes the standard layout: u64 LE header length, space-padded JSON, aligned data offsets', () => {
    const bytes = encodeSafetensors(dict);
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.__metadata__).toBeUndefined();
    expect(header['double']).toEqual({ dtype: 'F64', shape: [1], data_offsets: [0, 8] });
    for (const e of Object.values(header) as { dtype: string; data_offsets: number[] }[]) {
      const size = { F64: 8, I64: 8, F32: 4, I32: 4, U8: 1, BOOL: 1 }[e.dtype]!;
      expect(e.data_offsets[0] % size).toBe(0);
    }
    expect(bytes.length).toBe(8 + n + 8 + 8 + 24 + 12 + 3 + 1);
  });

  it('is deterministic (same dict => same bytes, whatever the key order)', () => {
    const reversed = Object.fromEntries(Object.entries(dict).reverse());
    expect(encodeSafetensors(reversed, { a: '1' })).toEqual(encodeSafetensors(dict, { a: '1' }));
  });

  it('reads a file written by another implementation (unpadded header)', () => {
    const f = new Float32Array([0.5, -1]);
    const bytes = handMade({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, Array.from(new Uint8Array(f.buffer)));
    expect(Array.from(decodeSafetensors(bytes).tensors.w.data as Float32Array)).toEqual([0.5, -1]);
  });

  it('names the file and the problem for truncated or corrupt input', () => {
    const bytes = encodeSafetensors(dict);
    expect(() => decodeSafetensors(bytes.subarray(0, 5), 'model.safetensors')).toThrow(/model\.safetensors: .*too short/);
    expect(() => decodeSafetensors(bytes.subarray(0, 40), 'model.safetensors')).toThrow(/model\.safetensors: .*truncated/);
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 3), 'm.st')).toThrow(/m\.st: .*truncated/);
    const corrupt = bytes.slice();
    corrupt[9] = 0x7b; // '{' inside the JSON
    corrupt[10] = 0x7b;
    expect(() => decodeSafetensors(corrupt, 'c.st')).toThrow(/c\.st: .*not valid UTF-8 JSON/);
    const badOffsets = handMade({ w: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, [0, 0, 0, 0]);
    expect(() => decodeSafetensors(badOffsets, 'b.st')).toThrow(/"w" spans 4 bytes/);
    const badDtype = handMade({ w: { dtype: 'Q7', shape: [1], data_offsets: [0, 1] } }, [0]);
    expect(() => decodeSafetensors(badDtype, 'b.st')).toThrow(/unknown dtype "Q7"/);
    const trailing = handMade({ w: { dtype: 'U8', shape: [1], data_offsets: [0, 1] } }, [0, 9]);
    expect(() => decodeSafetensors(trailing, 't.st')).toThrow(/trailing/);
    const hugeHeader = new Uint8Array(16);
    new DataView(hugeHeader.buffer).setBigUint64(0, 1n << 40n, true);
    expect(() => decodeSafetensors(hugeHeader, 'h.st')).toThrow(/h\.st: .*implausible/);
  });

  it('refuses to encode inconsistent tensors', () => {
    expect(() => encodeSafetensors({ w: { dtype: 'float32', shape: [3], data: new Float32Array(2) } })).toThrow(/"w" has 2 values but shape \[3\]/);
    expect(() => encodeSafetensors({ w: { dtype: 'float32', shape: [2], data: new Int32Array(2) } })).toThrow(/"w" is float32 but its data is a Int32Array/);
  });
});
