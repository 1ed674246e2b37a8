// The safetensors format (huggingface/safetensors): 8-byte little-endian header length N, N bytes of JSON header
// { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { string: string } }, then the raw
// little-endian data. Tensors are laid out by descending element size then name, so every tensor is aligned;
// the header is space-padded to a multiple of 8. Pure: bytes in, bytes out.
import { numel, type DType, type HostTensor, type TensorDict, type TypedData } from '../tensor-dict.ts';

const TO_ST: Record<DType, string> = { float32: 'F32', float64: 'F64', int32: 'I32', int64: 'I64', uint8: 'U8', bool: 'BOOL' };
const FROM_ST: Record<string, DType> = { F32: 'float32', F64: 'float64', I32: 'int32', I64: 'int64', U8: 'uint8', BOOL: 'bool' };
const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, int64: 8, uint8: 1, bool: 1 };
const ARRAY: Record<DType, string> = {
  float32: 'Float32Array', float64: 'Float64Array', int32: 'Int32Array', int64: 'BigInt64Array', uint8: 'Uint8Array', bool: 'Uint8Array',
};
const MAX_HEADER = 100_000_000;

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

function checkTensor(name: string, t: HostTensor): void {
  if (!(t.dtype in TO_ST)) throw new Error(`encodeSafetensors: "${name}" has unsupported dtype ${String(t.dtype)}`);
  if (!t.shape.every((d) => Number.isInteger(d) && d >= 0)) throw new Error(`encodeSafetensors: "${name}" has an invalid shape [${t.shape}]`);
  if (t.data.length !== numel(t.shape)) {
    throw new Error(`encodeSafetensors: "${name}" has ${t.data.length} values but shape [${t.shape}] needs ${numel(t.shape)}`);
  }
  if (t.data.constructor.name !== ARRAY[t.dtype]) throw new Error(`encodeSafetensors: "${name}" is ${t.dtype} but its data is a ${t.data.constructor.name}`);
}

export function encodeSafetensors(dict: TensorDict, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(dict).sort((a, b) => BYTES[dict[b].dtype] - BYTES[dict[a].dtype] || (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, HeaderEntry | Record<string, string>> = {};
  if (metadata && Object.keys(metadata).length > 0) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new Error(`encodeSafetensors: metadata "${k}" must be a string, got ${typeof v}`);
    }
    header.__metadata__ = { ...metadata };
  }
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw new Error('encodeSafetensors: "__metadata__" is reserved and cannot name a tensor');
    const t = dict[name];
    checkTensor(name, t);
    const bytes = t.data.byteLength;
    header[name] = { dtype: TO_ST[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const headerBytes = new Uint8Array(padded).fill(0x20);
  headerBytes.set(json);
  json = headerBytes;

  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  const base = 8 + json.length;
  for (const name of names) {
    const t = dict[name];
    const [begin] = (header[name] as HeaderEntry).data_offsets;
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), base + begin);
  }
  return out;
}

export interface DecodedSafetensors {
  tensors: TensorDict;
  metadata: Record<string, string>;
}

function typed(dtype: DType, bytes: Uint8Array): TypedData {
  const copy = bytes.slice(); // aligned, owned copy
  switch (dtype) {
    case 'float32':
      return new Float32Array(copy.buffer);
    case 'float64':
      return new Float64Array(copy.buffer);
    case 'int32':
      return new Int32Array(copy.buffer);
    case 'int64':
      return new BigInt64Array(copy.buffer);
    default:
      return copy;
  }
}

/** Parse safetensors bytes; `name` (a file name) is used in error messages. */
export function decodeSafetensors(bytes: Uint8Array, name = 'safetensors'): DecodedSafetensors {
  const fail = (what: string): never => {
    throw new Error(`${name}: not a valid safetensors file: ${what}`);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes, too short for the 8-byte header length`);
  const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true));
  if (headerLen > MAX_HEADER) fail(`header length ${headerLen} is implausible`);
  if (8 + headerLen > bytes.length) fail(`header of ${headerLen} bytes but the file has only ${bytes.length - 8} after the length (truncated?)`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    return fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) return fail('header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const tensors: TensorDict = {};
  let metadata: Record<string, string> = {};
  let covered = 0;
  for (const [key, raw] of Object.entries(header)) {
    if (key === '__metadata__') {
      metadata = raw as Record<string, string>;
      continue;
    }
    const e = raw as Partial<HeaderEntry>;
    const dtype = FROM_ST[e?.dtype ?? ''];
    if (!dtype) fail(`tensor "${key}" has unknown dtype ${JSON.stringify(e?.dtype)}`);
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor "${key}" has an invalid shape`);
    const [begin, end] = (e.data_offsets ?? []) as number[];
    if (!Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end < begin) fail(`tensor "${key}" has invalid data_offsets`);
    if (end > dataLen) fail(`tensor "${key}" ends at byte ${end} but the data section has ${dataLen} bytes (truncated?)`);
    const expected = numel(e.shape!) * BYTES[dtype];
    if (end - begin !== expected) fail(`tensor "${key}" spans ${end - begin} bytes, its ${e.dtype} [${e.shape}] needs ${expected}`);
    tensors[key] = { dtype, shape: [...e.shape!], data: typed(dtype, bytes.subarray(dataStart + begin, dataStart + end)) };
    covered += end - begin;
  }
  if (covered !== dataLen) fail(`tensors cover ${covered} bytes of a ${dataLen}-byte data section (overlapping or trailing data)`);
  return { tensors, metadata };
}
