// Reading safetensors files of any float type (F32, F16, BF16, F64; integers kept), as third-party TRM weights
// are often shared. Writing float32 safetensors is @trm/tensor-core's `encodeSafetensors`.
import type { TensorDict } from '@trm/tensor-core';
import { ITEM_SIZE, decodeElements } from './dtypes.ts';
import type { SourceDType } from './dtypes.ts';
import type { ReadTensors } from './torch-zip.ts';

const DTYPES: Record<string, SourceDType> = {
  F32: 'float32', F64: 'float64', F16: 'float16', BF16: 'bfloat16', I64: 'int64', I32: 'int32', I16: 'int16', I8: 'int8', U8: 'uint8', BOOL: 'bool',
};
const MAX_HEADER = 100_000_000;

export interface SafetensorsContents extends ReadTensors {
  /** the file's `__metadata__` (string to string) */
  metadata: Record<string, string>;
}

/** True when `bytes` start like a safetensors file (an 8-byte header length, then a JSON object). */
export function looksLikeSafetensors(bytes: Uint8Array): boolean {
  if (bytes.length < 10) return false;
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  return n > 1n && n <= BigInt(Math.min(MAX_HEADER, bytes.length - 8)) && bytes[8] === 0x7b; // '{'
}

/** Parse a safetensors file; floats are widened to float32. `file` names it in errors. */
export function readSafetensors(bytes: Uint8Array, file = 'safetensors'): SafetensorsContents {
  const fail = (what: string): never => {
    throw new Error(`${file}: not a valid safetensors file: ${what}`);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes, too short for the 8-byte header length`);
  const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLen > MAX_HEADER) fail(`header length ${headerLen} is implausible`);
  if (8 + headerLen > bytes.length) fail(`header of ${headerLen} bytes but only ${bytes.length - 8} follow (truncated?)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    return fail(`header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) return fail('header is not a JSON object');
  const data = bytes.subarray(8 + headerLen);
  const tensors: TensorDict = {};
  const sourceDtypes: Record<string, SourceDType> = {};
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Object.values(raw).some((v) => typeof v !== 'string')) fail('__metadata__ is not a string-to-string object');
      metadata = { ...(raw as Record<string, string>) };
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    const dtype = DTYPES[String(e?.dtype)];
    if (!dtype) fail(`tensor "${name}" has dtype ${JSON.stringify(e?.dtype)}; expected one of ${Object.keys(DTYPES).join(', ')}`);
    const shape = e.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) return fail(`tensor "${name}" has an invalid shape`);
    const [begin, end] = (Array.isArray(e.data_offsets) ? e.data_offsets : []) as number[];
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end < begin || end > data.length) {
      fail(`tensor "${name}" has data_offsets ${JSON.stringify(e.data_offsets)} outside the ${data.length}-byte data section`);
    }
    const bytesNeeded = shape.reduce((a: number, b: number) => a * b, 1) * ITEM_SIZE[dtype];
    if (end - begin !== bytesNeeded) fail(`tensor "${name}" spans ${end - begin} bytes; ${e.dtype} [${shape}] needs ${bytesNeeded}`);
    tensors[name] = decodeElements(data.subarray(begin, end), dtype, [...shape]);
    sourceDtypes[name] = dtype;
  }
  return { tensors, sourceDtypes, metadata };
}
