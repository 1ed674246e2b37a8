// encode: tokenises the augmented tables into FixedSizeList<Uint8>[S] columns with the dataset
// facts of spec section 1 in the schema metadata, plus identifiers.json and aux.json.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readArrowRows, writeArrowFile } from '../artifacts/arrow-table.ts';
import { createProgress } from '../io/progress.ts';
import { runStage, upstream, type StageContext, type StageResult } from './context.ts';
import { SPLITS } from './augment.ts';
import { collectPuzzles, encodedColumns } from './tables.ts';
import { IdentifierScan, encodeRows, type SplitScan } from './encode-rows.ts';

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

export function runEncode(ctx: StageContext): Promise<StageResult> {
  return runStage(ctx, 'encode', async (tmp) => {
    const lib = ctx.dataset.lib;
    const aug = await upstream(ctx, 'augment');
    const shape = lib.shape(ctx.config.encode);
    if (shape.seqLen <= 0 || shape.vocabSize > 256) throw new Error(`dataset ${lib.name}: shape seq_len ${shape.seqLen}, vocab ${shape.vocabSize} (expected seq_len > 0 and vocab <= 256 for uint8 tokens)`);

    // pass 1: identifiers (train split first, "" = blank 0) and counts
    const scan = new IdentifierScan();
    const scans: Record<string, SplitScan> = {};
    for (const split of SPLITS) scans[split] = await scan.scan(split, readArrowRows(path.join(aug.dir, `${split}.arrow`)));
    const ids = scan.ids;

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
      const rows = encodeRows(lib, ctx.config.encode, shape, ids, split, readArrowRows(path.join(aug.dir, `${split}.arrow`)), () => bar.tick());
      await writeArrowFile(path.join(tmp, `${split}.arrow`), encodedColumns(shape.seqLen), rows, { metadata: { 'trm.dataset': JSON.stringify(meta), 'trm.encode': JSON.stringify(ctx.config.encode) } });
      bar.done();
    }

    // identifiers.json: index = puzzle identifier, 0 = blank (as the reference's identifiers.json)
    fs.writeFileSync(path.join(tmp, 'identifiers.json'), JSON.stringify(scan.names(), null, 1) + '\n');
    if (lib.auxArtifacts) {
      const fetched = await upstream(ctx, 'fetch');
      const puzzles = await collectPuzzles(readArrowRows(path.join(fetched.dir, 'puzzles.arrow')));
      fs.writeFileSync(path.join(tmp, 'aux.json'), JSON.stringify(lib.auxArtifacts(puzzles, scan.augmented)) + '\n');
    }
    return { examples: Object.fromEntries(SPLITS.map((s) => [s, scans[s].examples])), identifiers: ids.size };
  });
}
