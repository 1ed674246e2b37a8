// Element types of PyTorch storages and safetensors, and the float conversions between them.
// Every float type is widened to float32 exactly (bfloat16 and float16 fit in float32 without rounding);
// float64 is rounded to the nearest float32.
import type { HostTensor } from '@trm/tensor-core';

export type SourceDType = 'float32' | 'float64' | 'bfloat16' | 'float16' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';

export const ITEM_SIZE: Record<SourceDType, number> = {
  float32: 4, float64: 8, bfloat16: 2, float16: 2, int64: 8, int32: 4, int16: 2, int8: 1, uint8: 1, bool: 1,
};

export const isFloat = (d: SourceDType): boolean => d === 'float32' || d === 'float64' || d === 'bfloat16' || d === 'float16';

/** float16 bits -> float32 value (exact: subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/**
 * `count` little-endian elements of `dtype` starting at byte `offset` of `bytes`, widened to float32.
 * float32 bits are copied as they are (NaN payloads kept).
 */
export function floatsToFloat32(bytes: Uint8Array, offset: number, count: number, dtype: SourceDType): Float32Array {
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, count * ITEM_SIZE[dtype]);
  switch (dtype) {
    case 'float32': {
      new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + count * 4)); // raw bits
      break;
    }
    case 'bfloat16': {
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) bits[i] = view.getUint16(i * 2, true) << 16;
      break;
    }
    case 'float16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      break;
    case 'float64':
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    default:
      throw new Error(`floatsToFloat32: ${dtype} is not a float type`);
  }
  return out;
}

/** Round float32 values to bfloat16 (round to nearest, ties to even, as torch's `.to(torch.bfloat16)`), kept as float32. */
export function roundToBfloat16(values: Float32Array): Float32Array {
  const out = Float32Array.from(values);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i];
    if ((b & 0x7f800000) === 0x7f800000 && (b & 0x7fffff) !== 0) {
      bits[i] = (b | 0x400000) & 0xffff0000; // NaN stays a (quiet) NaN
      continue;
    }
    const rounded = b + 0x7fff + ((b >>> 16) & 1);
    bits[i] = (rounded & 0xffff0000) >>> 0;
  }
  return out;
}

/** A contiguous little-endian run of `dtype` elements as a HostTensor: floats widened to float32, int8/int16 to int32. */
export function decodeElements(bytes: Uint8Array, dtype: SourceDType, shape: number[]): HostTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (isFloat(dtype)) return { dtype: 'float32', shape, data: floatsToFloat32(bytes, 0, n, dtype) };
  const own = bytes.slice(0, n * ITEM_SIZE[dtype]); // an aligned copy of its own
  const view = new DataView(own.buffer);
  switch (dtype) {
    case 'int64': return { dtype: 'int64', shape, data: new BigInt64Array(own.buffer) };
    case 'int32': return { dtype: 'int32', shape, data: new Int32Array(own.buffer) };
    case 'int16': return { dtype: 'int32', shape, data: Int32Array.from({ length: n }, (_, i) => view.getInt16(i * 2, true)) };
    case 'int8': return { dtype: 'int32', shape, data: Int32Array.from({ length: n }, (_, i) => view.getInt8(i)) };
    case 'uint8': return { dtype: 'uint8', shape, data: own };
    default: return { dtype: 'bool', shape, data: own };
  }
}
