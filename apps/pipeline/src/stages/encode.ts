// encode: tokenises the augmented tables into FixedSizeList<Uint8>[S] columns with the dataset
// facts of spec section 1 in the schema metadata, plus identifiers.json and aux.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readArrowRows, writeArrowFile, type Row } from '../artifacts/arrow-table.ts';
import { createProgress } from '../catalog/progress.ts';
import { DATA_CODE, runStage, upstream, type StageContext, type StageResult, type StageSpec } from './context.ts';
import { SPLITS } from './augment.ts';
import { collectPuzzles, encodedColumns, exampleFromRow } from './tables.ts';

export const encodeSpec: StageSpec = {
  stage: 'encode',
  sections: ['dataset', 'encode'],
  inputs: ['fetch', 'augment'],
  code: [...DATA_CODE, 'apps/pipeline/src/stages/encode.ts'],
  usesDataset: true,
};

/** `trm.dataset` schema metadata of train.arrow / test.arrow (spec section 1, reference dataset.json names). */
export interface DatasetMetadata {
  vocab_size: number;
  seq_len: number;
  pad_id: number;
  ignore_label_id: number | null;
  blank_identifier_id: number;
  num_puzzle_identifiers: number;
  total_groups: number;
  mean_puzzle_examples: number;
  total_puzzles: number;
  sets: string[];
  token_names: string[];
}

interface SplitScan { groups: number; puzzles: number; examples: number }

export function runEncode(ctx: StageContext): Promise<StageResult> {
  return runStage(ctx, encodeSpec, async (tmp) => {
    const lib = ctx.dataset.lib;
    const aug = await upstream(ctx, 'augment');
    const shape = lib.shape(ctx.config.encode);
    if (shape.seqLen <= 0 || shape.vocabSize > 256) throw new Error(`dataset ${lib.name}: shape seq_len ${shape.seqLen}, vocab ${shape.vocabSize} (expected seq_len > 0 and vocab <= 256 for uint8 tokens)`);

    // pass 1: identifiers (train split first, "" = blank 0) and counts
    const ids = new Map<string, number>([['', 0]]);
    const augmented: { name: string; transform: string; split: string }[] = [];
    const scans: Record<string, SplitScan> = {};
    for (const split of SPLITS) {
      const s: SplitScan = { groups: 0, puzzles: 0, examples: 0 };
      let last = '';
      for await (const r of readArrowRows(path.join(aug.dir, `${split}.arrow`))) {
        const name = r.name as string;
        if (!ids.has(name)) ids.set(name, ids.size);
        const key = `${r.group}/${r.aug_index}`;
        if (key !== last) {
          s.puzzles++;
          augmented.push({ name, transform: r.transform as string, split });
          last = key;
        }
        s.groups = Math.max(s.groups, (r.group as number) + 1);
        s.examples++;
      }
      scans[split] = s;
    }

    // pass 2: tokens
    for (const split of SPLITS) {
      const s = scans[split];
      const meta: DatasetMetadata = {
        vocab_size: shape.vocabSize,
        seq_len: shape.seqLen,
        pad_id: shape.padId,
        ignore_label_id: shape.ignoreLabelId,
        blank_identifier_id: 0,
        num_puzzle_identifiers: ids.size,
        total_groups: s.groups,
        mean_puzzle_examples: s.puzzles ? s.examples / s.puzzles : 0,
        total_puzzles: s.puzzles,
        sets: ['all'],
        token_names: [...shape.tokenNames],
      };
      const bar = createProgress(`encode ${split}`, s.examples);
      let puzzleIndex = -1;
      let last = '';
      let rowNo = 0;
      const rows = (async function* (): AsyncGenerator<Row> {
        for await (const r of readArrowRows(path.join(aug.dir, `${split}.arrow`))) {
          const key = `${r.group}/${r.aug_index}`;
          if (key !== last) { puzzleIndex++; last = key; }
          const enc = lib.encode(exampleFromRow(r), ctx.config.encode);
          if (enc.inputs.length !== shape.seqLen || enc.labels.length !== shape.seqLen) throw new Error(`dataset ${lib.name}: encode gave ${enc.inputs.length}/${enc.labels.length} tokens for ${split} row ${rowNo}, expected seq_len ${shape.seqLen}`);
          for (let i = 0; i < shape.seqLen; i++) if (enc.inputs[i] >= shape.vocabSize || enc.labels[i] >= shape.vocabSize) throw new Error(`dataset ${lib.name}: token ${Math.max(enc.inputs[i], enc.labels[i])} >= vocab_size ${shape.vocabSize} in ${split} row ${rowNo}`);
          rowNo++;
          bar.tick();
          yield { inputs: enc.inputs, labels: enc.labels, puzzle_identifier: ids.get(r.name as string)!, puzzle_index: puzzleIndex, group_index: r.group as number };
        }
      })();
      await writeArrowFile(path.join(tmp, `${split}.arrow`), encodedColumns(shape.seqLen), rows, { metadata: { 'trm.dataset': JSON.stringify(meta), 'trm.encode': JSON.stringify(ctx.config.encode) } });
      bar.done();
    }

    // identifiers.json: index = puzzle identifier, 0 = blank (as the reference's identifiers.json)
    fs.writeFileSync(path.join(tmp, 'identifiers.json'), JSON.stringify(['<blank>', ...[...ids.keys()].slice(1)], null, 1) + '\n');
    if (lib.auxArtifacts) {
      const fetched = await upstream(ctx, 'fetch');
      const puzzles = await collectPuzzles(readArrowRows(path.join(fetched.dir, 'puzzles.arrow')));
      fs.writeFileSync(path.join(tmp, 'aux.json'), JSON.stringify(lib.auxArtifacts(puzzles, augmented)) + '\n');
    }
    return { examples: Object.fromEntries(SPLITS.map((s) => [s, scans[s].examples])), identifiers: ids.size };
  });
}
