import { describe, expect, it } from 'vitest';
import { encodeSafetensors } from '@trm/tensor-core';
import { halfToFloat, readCheckpoint, readSafetensors, roundToBfloat16 } from './index.ts';

/** A safetensors file by hand: tensors given as [dtype, shape, raw bytes]. */
function file(tensors: Record<string, [string, number[], Uint8Array]>, metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let off = 0;
  for (const [k, [dtype, shape, b]] of Object.entries(tensors)) { header[k] = { dtype, shape, data_offsets: [off, off + b.length] }; off += b.length; }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const [, , b] of Object.values(tensors)) { out.set(b, at); at += b.length; }
  return out;
}
const u8 = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe('safetensors reading', () => {
  it('widens BF16 and F16 to float32 exactly and keeps the metadata', () => {
    const bytes = file({ a: ['BF16', [2], u8(Uint16Array.from([0x4049, 0xc2f7]))], b: ['F16', [1, 2], u8(Uint16Array.from([0x3555, 0x8001]))] }, { format: 'pt', step: '5' });
    const ck = readCheckpoint(bytes, 'w.safetensors');
    expect(ck.format).toBe('safetensors');
    expect(Array.from(ck.tensors.a.data as Float32Array)).toEqual([3.140625, -123.5]);
    expect(Array.from(ck.tensors.b.data as Float32Array)).toEqual([halfToFloat(0x3555), -(2 ** -24)]);
    expect(ck.tensors.b.shape).toEqual([1, 2]);
    expect(ck.sourceDtypes).toEqual({ a: 'bfloat16', b: 'float16' });
    expect(ck.metadata).toEqual({ format: 'pt', step: '5' });
  });

  it('reads what tensor-core writes (float32) bit for bit', () => {
    const data = Float32Array.from([0.1, -2, 3e-39, NaN]);
    const back = readSafetensors(encodeSafetensors({ w: { dtype: 'float32', shape: [2, 2], data } }, { config: '{}' }), 'x');
    expect(new Uint32Array((back.tensors.w.data as Float32Array).buffer)).toEqual(new Uint32Array(data.buffer));
    expect(back.metadata).toEqual({ config: '{}' });
  });

  it('names the file and the tensor when the header lies', () => {
    expect(() => readSafetensors(file({ a: ['F32', [3], new Uint8Array(8)] }), 'bad.safetensors')).toThrow(/bad\.safetensors: .*tensor "a" spans 8 bytes; F32 \[3\] needs 12/);
    expect(() => readSafetensors(file({ a: ['Q4', [1], new Uint8Array(1)] }), 'q.safetensors')).toThrow(/q\.safetensors: .*dtype "Q4"/);
  });
});

describe('roundToBfloat16', () => {
  it('rounds to nearest, ties to even, as torch does', () => {
    const bits = Uint32Array.from([0x3f808000, 0x3f818000, 0x3f808001, 0x7f7fffff, 0x7fc00001]);
    const out = new Uint32Array(roundToBfloat16(new Float32Array(bits.buffer)).buffer);
    expect(Array.from(out, (b) => b.toString(16))).toEqual(['3f800000', '3f820000', '3f810000', '7f800000', '7fc00000']);
  });
});
