// The pure part of encode: scanning the augmented rows (identifiers, counts) and turning them into token rows.
// No I/O: the encode stage feeds these from the augment tables and writes what they yield.
import type { DatasetLib, DatasetShape } from '@trm/dataset';
import type { Row } from '../artifacts/arrow-table.ts';
import { exampleFromRow } from './tables.ts';

export interface SplitScan { groups: number; puzzles: number; examples: number }

/** Identifier names -> ids ("" = blank 0, then in order of first appearance); call once per split, train first. */
export class IdentifierScan {
  readonly ids = new Map<string, number>([['', 0]]);
  readonly augmented: { name: string; transform: string; split: string }[] = [];

  async scan(split: string, rows: AsyncIterable<Row>): Promise<SplitScan> {
    const s: SplitScan = { groups: 0, puzzles: 0, examples: 0 };
    let last = '';
    for await (const r of rows) {
      const name = r.name as string;
      if (!this.ids.has(name)) this.ids.set(name, this.ids.size);
      const key = `${r.group}/${r.aug_index}`;
      if (key !== last) {
        s.puzzles++;
        this.augmented.push({ name, transform: r.transform as string, split });
        last = key;
      }
      s.groups = Math.max(s.groups, (r.group as number) + 1);
      s.examples++;
    }
    return s;
  }

  /** identifiers.json: index = puzzle identifier, entry 0 = "<blank>" (the reference's layout) */
  names(): string[] {
    return ['<blank>', ...[...this.ids.keys()].slice(1)];
  }
}

/** Token rows of one split: inputs/labels from the lib, checked against the shape, plus the index columns. */
export async function* encodeRows(lib: DatasetLib, cfg: Record<string, unknown>, shape: DatasetShape, ids: Map<string, number>, split: string, rows: AsyncIterable<Row>, onRow: () => void = () => {}): AsyncGenerator<Row> {
  let puzzleIndex = -1;
  let last = '';
  let rowNo = 0;
  for await (const r of rows) {
    const key = `${r.group}/${r.aug_index}`;
    if (key !== last) { puzzleIndex++; last = key; }
    const enc = lib.encode(exampleFromRow(r), cfg);
    if (enc.inputs.length !== shape.seqLen || enc.labels.length !== shape.seqLen) throw new Error(`dataset ${lib.name}: encode gave ${enc.inputs.length}/${enc.labels.length} tokens for ${split} row ${rowNo}, expected seq_len ${shape.seqLen}`);
    for (let i = 0; i < shape.seqLen; i++) {
      if (enc.inputs[i] >= shape.vocabSize || enc.labels[i] >= shape.vocabSize) throw new Error(`dataset ${lib.name}: token ${Math.max(enc.inputs[i], enc.labels[i])} >= vocab_size ${shape.vocabSize} in ${split} row ${rowNo}`);
    }
    const id = ids.get(r.name as string);
    if (id === undefined) throw new Error(`${split} row ${rowNo}: identifier ${JSON.stringify(r.name)} was not scanned`);
    rowNo++;
    onRow();
    yield { inputs: enc.inputs, labels: enc.labels, puzzle_identifier: id, puzzle_index: puzzleIndex, group_index: r.group as number };
  }
}
