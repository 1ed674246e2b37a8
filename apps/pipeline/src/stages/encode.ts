// encode: tokenises the augmented tables into FixedSizeList<Uint8>[S] columns with the dataset facts of spec section 1
// in the schema metadata -> encode.train, encode.test, encode.identifiers, encode.aux.
import { json, runCatalogStage, table, type StageFunction } from '../catalog/index.ts';
import { createProgress } from '../io/progress.ts';
import type { StageContext, StageResult } from './context.ts';
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

export const encodePuzzles: StageFunction = async (inputs, { config, dataset }) => {
  const lib = dataset.lib;
  const shape = lib.shape(config.encode);
  if (shape.seqLen <= 0 || shape.vocabSize > 256) throw new Error(`dataset ${lib.name}: shape seq_len ${shape.seqLen}, vocab ${shape.vocabSize} (expected seq_len > 0 and vocab <= 256 for uint8 tokens)`);
  const augmented = { train: inputs.table('augment.train'), test: inputs.table('augment.test') };

  // pass 1: identifiers (train split first, "" = blank 0) and counts
  const scan = new IdentifierScan();
  const scans: Record<string, SplitScan> = {};
  for (const split of SPLITS) scans[split] = await scan.scan(split, augmented[split].rows());
  const ids = scan.ids;

  // pass 2: tokens, written as the catalog reads them
  const split = (name: (typeof SPLITS)[number]) => {
    const s = scans[name];
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
    const rows = (async function* () {
      const bar = createProgress(`encode ${name}`, s.examples);
      yield* encodeRows(lib, config.encode, shape, ids, name, augmented[name].rows(), () => bar.tick());
      bar.done();
    })();
    return table(encodedColumns(shape.seqLen), rows, { 'trm.dataset': JSON.stringify(meta), 'trm.encode': JSON.stringify(config.encode) });
  };
  // aux.json: what the dataset needs to score predictions (ARC), from the raw puzzles and the augmentations
  const aux = lib.auxArtifacts ? json(lib.auxArtifacts(await collectPuzzles(inputs.table('fetch.puzzles').rows()), scan.augmented)) : undefined;
  return {
    outputs: {
      'encode.train': split('train'),
      'encode.test': split('test'),
      // index = puzzle identifier, 0 = blank (as the reference's identifiers.json)
      'encode.identifiers': json(scan.names()),
      'encode.aux': aux,
    },
    run: { examples: Object.fromEntries(SPLITS.map((s) => [s, scans[s].examples])), identifiers: ids.size },
  };
};

export function runEncode(ctx: StageContext): Promise<StageResult> {
  return runCatalogStage(ctx, 'encode', encodePuzzles);
}
