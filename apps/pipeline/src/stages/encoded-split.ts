// Loads an encoded table (encode stage) into the EncodedSplit the engine consumes.
import type { EncodedSplit } from '@trm/trm';
import { openArrowFile } from '../artifacts/arrow-table.ts';
import type { DatasetMetadata } from './encode.ts';

export async function loadEncodedSplit(file: string): Promise<{ split: EncodedSplit; meta: DatasetMetadata; encode: Record<string, unknown> }> {
  const { info, batches } = await openArrowFile(file);
  const metaText = info.metadata['trm.dataset'];
  if (!metaText) throw new Error(`${file}: no trm.dataset schema metadata (not an encode artifact?)`);
  const meta = JSON.parse(metaText) as DatasetMetadata;
  const S = meta.seq_len;
  const inputs: Uint8Array[] = [];
  const labels: Uint8Array[] = [];
  const ids: number[] = [];
  const puzzles: number[] = [];
  const groups: number[] = [];
  for await (const b of batches) {
    for (const r of b) {
      inputs.push(r.inputs as Uint8Array);
      labels.push(r.labels as Uint8Array);
      ids.push(r.puzzle_identifier as number);
      puzzles.push(r.puzzle_index as number);
      groups.push(r.group_index as number);
    }
  }
  const n = ids.length;
  const flat = (rows: Uint8Array[]) => {
    const out = new Uint8Array(n * S);
    rows.forEach((r, i) => out.set(r, i * S));
    return out;
  };
  return {
    split: {
      inputs: flat(inputs),
      labels: flat(labels),
      puzzleIdentifiers: Int32Array.from(ids),
      puzzleIndex: Int32Array.from(puzzles),
      groupIndex: Int32Array.from(groups),
      seqLen: S,
      vocabSize: meta.vocab_size,
      ignoreLabelId: meta.ignore_label_id,
      numPuzzleIdentifiers: meta.num_puzzle_identifiers,
      blankIdentifierId: meta.blank_identifier_id,
    },
    meta,
    encode: JSON.parse(info.metadata['trm.encode'] ?? '{}') as Record<string, unknown>,
  };
}
