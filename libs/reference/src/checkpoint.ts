// Any checkpoint the reference world produces, read into float32 tensors under their reference names.
import type { HostTensor, TensorDict } from '@trm/tensor-core';
import type { SourceDType } from './dtypes.ts';
import { looksLikeSafetensors, readSafetensors } from './safetensors.ts';
import { readTorchZip } from './torch-zip.ts';

export type CheckpointFormat = 'pytorch-zip' | 'safetensors';

export interface Checkpoint {
  format: CheckpointFormat;
  /** names as stored in the file (`_orig_mod.` prefixes kept: see stripCompilePrefix) */
  tensors: TensorDict;
  sourceDtypes: Record<string, SourceDType>;
  /** safetensors `__metadata__`; empty for PyTorch files */
  metadata: Record<string, string>;
}

/** The prefix `torch.compile` puts before every state-dict key (pretrain.py saves the compiled model). */
export const COMPILE_PREFIX = '_orig_mod.';

const isZip = (b: Uint8Array) => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;
// torch.save before 1.6 (and _use_new_zipfile_serialization=False): a pickled magic number 0x1950a86a20f9469cfc6c
const isLegacyTorch = (b: Uint8Array) => b.length > 12 && b[0] === 0x80 && b[2] === 0x8a && b[3] === 0x0a && b[4] === 0x6c && b[5] === 0xfc;

/** Read a PyTorch zip checkpoint (1.6+ / 2.x) or a safetensors file, telling them apart by their bytes. */
export function readCheckpoint(bytes: Uint8Array, file = 'checkpoint'): Checkpoint {
  if (isZip(bytes)) return { format: 'pytorch-zip', metadata: {}, ...readTorchZip(bytes, file) };
  if (looksLikeSafetensors(bytes)) return { format: 'safetensors', ...readSafetensors(bytes, file) };
  if (isLegacyTorch(bytes)) {
    throw new Error(`${file}: a legacy (pre-1.6) torch.save file; re-save it in the zip format: torch.save(torch.load(f), g) with PyTorch >= 1.6`);
  }
  throw new Error(`${file}: neither a PyTorch zip checkpoint (starts with "PK\\x03\\x04") nor a safetensors file (8-byte header length, then JSON)`);
}

/** Drop the `_orig_mod.` prefix of every key that has it; an error if a key exists both with and without it. */
export function stripCompilePrefix(tensors: TensorDict, file = 'checkpoint'): TensorDict {
  const out: TensorDict = {};
  for (const [name, t] of Object.entries(tensors)) {
    const bare = name.startsWith(COMPILE_PREFIX) ? name.slice(COMPILE_PREFIX.length) : name;
    if (bare in out) throw new Error(`${file}: "${bare}" appears both with and without the ${COMPILE_PREFIX} prefix`);
    out[bare] = t;
  }
  return out;
}

/** Prefix every key with `_orig_mod.` (the keys pretrain.py writes and `load_checkpoint=` expects). */
export function addCompilePrefix(tensors: TensorDict): TensorDict {
  return Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k.startsWith(COMPILE_PREFIX) ? k : COMPILE_PREFIX + k, t]));
}

/**
 * What the reference's `load_checkpoint` does with a puzzle-embedding table of another row count: every row of the
 * result is the mean of the table's rows (`torch.mean(w, dim=0, keepdim=True).expand(rows, D)`). The mean is summed in
 * float64 and rounded once, so it can differ from PyTorch's float32 mean in the last bit.
 */
export function meanRowsTable(table: HostTensor, rows: number): HostTensor {
  if (table.dtype !== 'float32' || table.shape.length !== 2) throw new Error(`meanRowsTable: expected a float32 [rows, D] table, got ${table.dtype} [${table.shape}]`);
  const [n, d] = table.shape;
  const src = table.data as Float32Array;
  const mean = new Float64Array(d);
  for (let r = 0; r < n; r++) for (let j = 0; j < d; j++) mean[j] += src[r * d + j];
  const row = Float32Array.from(mean, (s) => (n > 0 ? s / n : 0));
  const out = new Float32Array(rows * d);
  for (let r = 0; r < rows; r++) out.set(row, r * d);
  return { dtype: 'float32', shape: [rows, d], data: out };
}
