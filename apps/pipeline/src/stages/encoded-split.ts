// Loads an encoded table (encode stage) into the EncodedSplit the engine consumes, batch by batch into flat arrays.
import type { EncodedSplit } from '@trm/trm';
import { tableInput, type TableInput } from '../catalog/formats.ts';
import type { DatasetMetadata } from './encode.ts';

function concat<T extends Uint8Array | Int32Array>(parts: T[], make: (n: number) => T): T {
  const out = make(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The `trm.dataset` metadata of an encoded table (without reading its rows). */
export async function loadEncodedMetadata(file: string): Promise<DatasetMetadata> {
  const metaText = (await tableInput(file, null).metadata())['trm.dataset'];
  if (!metaText) throw new Error(`${file}: no trm.dataset schema metadata (not an encode artifact?)`);
  return JSON.parse(metaText) as DatasetMetadata;
}

export function loadEncodedSplit(file: string): Promise<{ split: EncodedSplit; meta: DatasetMetadata; encode: Record<string, unknown> }> {
  return encodedSplit(tableInput(file, null));
}

/** An encoded table as the catalog hands it (inputs.table('encode.train')), loaded into an EncodedSplit. */
export async function encodedSplit(table: TableInput): Promise<{ split: EncodedSplit; meta: DatasetMetadata; encode: Record<string, unknown> }> {
  const file = table.name;
  const metadata = await table.metadata();
  const metaText = metadata['trm.dataset'];
  if (!metaText) throw new Error(`${file}: no trm.dataset schema metadata (not an encode artifact?)`);
  const meta = JSON.parse(metaText) as DatasetMetadata;
  const cols = { inputs: [] as Uint8Array[], labels: [] as Uint8Array[], ids: [] as Int32Array[], puzzles: [] as Int32Array[], groups: [] as Int32Array[] };
  for await (const b of table.columns()) {
    cols.inputs.push(b.fixedU8('inputs'));
    cols.labels.push(b.fixedU8('labels'));
    cols.ids.push(b.int32('puzzle_identifier'));
    cols.puzzles.push(b.int32('puzzle_index'));
    cols.groups.push(b.int32('group_index'));
  }
  const u8 = (n: number) => new Uint8Array(n);
  const i32 = (n: number) => new Int32Array(n);
  const split: EncodedSplit = {
    inputs: concat(cols.inputs, u8),
    labels: concat(cols.labels, u8),
    puzzleIdentifiers: concat(cols.ids, i32),
    puzzleIndex: concat(cols.puzzles, i32),
    groupIndex: concat(cols.groups, i32),
    seqLen: meta.seq_len,
    vocabSize: meta.vocab_size,
    ignoreLabelId: meta.ignore_label_id,
    numPuzzleIdentifiers: meta.num_puzzle_identifiers,
    blankIdentifierId: meta.blank_identifier_id,
  };
  if (split.inputs.length !== split.puzzleIdentifiers.length * meta.seq_len) throw new Error(`${file}: ${split.inputs.length} input tokens for ${split.puzzleIdentifiers.length} rows of seq_len ${meta.seq_len}`);
  return { split, meta, encode: JSON.parse(metadata['trm.encode'] ?? '{}') as Record<string, unknown> };
}
