// A trained model from the bytes of a safetensors file: the arch from its `config` metadata (as the train stage
// writes model.safetensors), the weights from its tensors. Pure: the caller reads the file (Node or a browser).
import { decodeSafetensors } from '@trm/tensor-core';
import { archConfigSchema, issueLines } from '@trm/trm-config';
import { createModel } from '../model/model.ts';
import type { ArchConfig, TrmModel } from '../model/types.ts';

/** A model file that cannot be used: no or bad arch metadata, missing tensors, or made for other data. */
export class ModelFileError extends Error {
  override name = 'ModelFileError';
}

/** The arch in a model file's metadata (`config`: the resolved arch as JSON). */
export function archFromMetadata(metadata: Record<string, string>, file: string): ArchConfig {
  const text = metadata.config;
  if (text === undefined) {
    throw new ModelFileError(`${file}: no "config" metadata (the model's arch); expected a model.safetensors written by the train stage`);
  }
  let arch: Record<string, unknown>;
  try {
    arch = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new ModelFileError(`${file}: the "config" metadata is not JSON (${(e as Error).message})`);
  }
  if (typeof arch !== 'object' || arch === null || Array.isArray(arch)) throw new ModelFileError(`${file}: the "config" metadata is not an object of arch keys`);
  // every key of the one arch definition must be there (no defaults filled in: the file says what it was trained as);
  // keys it does not know are left out
  const keys = Object.keys(archConfigSchema.shape) as (keyof ArchConfig)[];
  const missing = keys.filter((k) => arch[k] === undefined);
  if (missing.length > 0) throw new ModelFileError(`${file}: the arch metadata lacks ${missing.join(', ')}`);
  const parsed = archConfigSchema.safeParse(Object.fromEntries(keys.map((k) => [k, arch[k]])));
  if (!parsed.success) throw new ModelFileError(`${file}: the arch metadata has ${issueLines('arch', arch, parsed.error.issues).join('; ')}`);
  return parsed.data;
}

/** What the data of the model's use looks like (the encoded dataset's shape and identifier count). */
export interface DataShape {
  seqLen: number;
  vocabSize: number;
  /** identifiers.json's length; checked when given */
  numPuzzleIdentifiers?: number;
  /** names the data in errors, e.g. `the sudoku-quick dataset` */
  what?: string;
}

/** Throws a ModelFileError when the model was trained on data of another shape than `data`. */
export function checkFits(arch: ArchConfig, data: DataShape, file: string): void {
  const what = data.what ?? 'the dataset';
  const fits = [
    ['seq_len', arch.seq_len, data.seqLen],
    ['vocab_size', arch.vocab_size, data.vocabSize],
    ['num_puzzle_identifiers', arch.num_puzzle_identifiers, data.numPuzzleIdentifiers ?? arch.num_puzzle_identifiers],
  ] as const;
  const bad = fits.filter(([, a, b]) => a !== b);
  if (bad.length === 0) return;
  const list = (i: 1 | 2) => bad.map((x) => `${x[0]} ${x[i]}`).join(', ');
  throw new ModelFileError(`${file}: the model was trained on data with ${list(1)}, but ${what} has ${list(2)}`);
}

export interface LoadedModel {
  model: TrmModel;
  arch: ArchConfig;
  /** the file's metadata (`config` and whatever else the writer put there) */
  metadata: Record<string, string>;
}

/** A model (eval-ready: weights loaded, no random draw) from the bytes of a safetensors model file. */
export function loadModel(bytes: Uint8Array, file: string, data?: DataShape): LoadedModel {
  let decoded: ReturnType<typeof decodeSafetensors>;
  try {
    decoded = decodeSafetensors(bytes, file);
  } catch (e) {
    throw new ModelFileError((e as Error).message);
  }
  const arch = archFromMetadata(decoded.metadata ?? {}, file);
  if (data) checkFits(arch, data, file);
  try {
    return { model: createModel(arch, 0, { weights: decoded.tensors }), arch, metadata: decoded.metadata ?? {} };
  } catch (e) {
    throw new ModelFileError(`${file}: ${(e as Error).message}`);
  }
}
