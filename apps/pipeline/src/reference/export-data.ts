// `trm export --format reference`: the encode artifacts in the reference builders' layout (see @trm/reference's
// dataset-layout.ts), which pretrain.py reads with `data_paths="[DIR]"`. Streams the Arrow tables batch by batch:
// memory holds one record batch plus 4 bytes per puzzle and group, whatever the number of examples.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REFERENCE_ARRAYS, ReferenceIndexBuilder, encodeNpy, npyHeader, pythonJson, referenceArrayFile, referenceDatasetJson, referenceIdentifiersJson } from '@trm/reference';
import { openArrowFile, readColumnBatches } from '../artifacts/arrow-table.ts';
import { readJsonFile } from '../artifacts/open-stage.ts';
import { removeStaleTemporaries } from '../artifacts/stage-writer.ts';
import { createProgress } from '../io/progress.ts';
import type { Upstream } from '../stages/context.ts';
import { catalogEntry } from '../catalog/entries.mjs';
import type { DatasetMetadata } from '../stages/encode.ts';

export const REFERENCE_SPLITS = ['train', 'test'] as const;
/** The builders write one subset, "all". */
const SET = 'all';

export interface ExportedSplit {
  examples: number;
  puzzles: number;
  groups: number;
}

/** Writes one split folder: the token arrays streamed from `table`, then the index arrays built on the way. */
async function exportSplit(table: string, rows: number, dir: string): Promise<{ counts: ExportedSplit; meta: DatasetMetadata }> {
  const { info, close } = await openArrowFile(table);
  await close();
  if (!info.metadata['trm.dataset']) throw new Error(`${table}: no trm.dataset schema metadata (not an encode artifact?)`);
  const meta = JSON.parse(info.metadata['trm.dataset']) as DatasetMetadata;
  const S = meta.seq_len;
  fs.mkdirSync(dir, { recursive: true });
  const fds = { inputs: fs.openSync(path.join(dir, referenceArrayFile(SET, 'inputs')), 'w'), labels: fs.openSync(path.join(dir, referenceArrayFile(SET, 'labels')), 'w') };
  const index = new ReferenceIndexBuilder(table);
  const bar = createProgress(`export ${path.basename(dir)}`, rows);
  try {
    for (const fd of Object.values(fds)) fs.writeSync(fd, npyHeader('|u1', [rows, S])); // uint8 [examples, seq_len]
    for await (const b of readColumnBatches(table)) {
      const inputs = b.fixedU8('inputs');
      const labels = b.fixedU8('labels');
      if (inputs.length !== b.numRows * S || labels.length !== b.numRows * S) throw new Error(`${table}: a batch of ${b.numRows} rows holds ${inputs.length} input tokens (seq_len ${S})`);
      fs.writeSync(fds.inputs, inputs);
      fs.writeSync(fds.labels, labels);
      const ids = b.int32('puzzle_identifier');
      const puzzles = b.int32('puzzle_index');
      const groups = b.int32('group_index');
      for (let i = 0; i < b.numRows; i++) index.add({ puzzleIdentifier: ids[i], puzzleIndex: puzzles[i], groupIndex: groups[i] });
      bar.tick(b.numRows);
    }
  } finally {
    for (const fd of Object.values(fds)) fs.closeSync(fd);
  }
  bar.done();
  const counts = index.counts;
  if (counts.examples !== rows) throw new Error(`${table}: ${counts.examples} rows read, the encode manifest lists ${rows}`);
  const arrays = index.finish();
  for (const name of ['puzzle_identifiers', 'puzzle_indices', 'group_indices'] as const) {
    fs.writeFileSync(path.join(dir, referenceArrayFile(SET, name)), encodeNpy('<i4', [arrays[name].length], arrays[name]));
  }
  return { counts, meta };
}

/**
 * Exports the encode stage `enc` to `out` (which must not exist or be empty), written under a temporary name and
 * renamed when complete. A split without examples gets no folder (pretrain.py then runs without evaluation data,
 * as with the reference's Sudoku subsample builds).
 */
export async function exportReferenceDataset(enc: Upstream, out: string): Promise<{ splits: Record<string, ExportedSplit>; testPuzzles: boolean }> {
  if (fs.existsSync(out) && (!fs.statSync(out).isDirectory() || fs.readdirSync(out).length > 0)) {
    throw new Error(`${out}: already exists and is not an empty folder; choose another --out (nothing is overwritten)`);
  }
  const tmp = `${out}.tmp-${process.pid}`;
  removeStaleTemporaries(out);
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  const result: Record<string, ExportedSplit> = {};
  let testPuzzles = false;
  try {
    for (const split of REFERENCE_SPLITS) {
      const table = catalogEntry(`encode.${split}`).path;
      const entry = enc.manifest.files[table];
      if (!entry || !entry.rows) continue;
      const dir = path.join(tmp, split);
      const { counts, meta } = await exportSplit(path.join(enc.dir, table), entry.rows, dir);
      if (counts.groups !== meta.total_groups || counts.puzzles !== meta.total_puzzles) {
        throw new Error(`${path.join(enc.dir, table)}: ${counts.groups} groups and ${counts.puzzles} puzzles in the rows, its metadata says ${meta.total_groups} and ${meta.total_puzzles}`);
      }
      fs.writeFileSync(path.join(dir, 'dataset.json'), referenceDatasetJson({
        pad_id: meta.pad_id,
        ignore_label_id: meta.ignore_label_id,
        blank_identifier_id: meta.blank_identifier_id,
        vocab_size: meta.vocab_size,
        seq_len: meta.seq_len,
        num_puzzle_identifiers: meta.num_puzzle_identifiers,
        total_groups: counts.groups,
        mean_puzzle_examples: counts.examples / counts.puzzles,
        total_puzzles: counts.puzzles,
        sets: [SET],
      }));
      result[split] = counts;
    }
    const identifiersFile = path.join(enc.dir, catalogEntry('encode.identifiers').path);
    const identifiers = readJsonFile<string[]>(identifiersFile);
    if (!Array.isArray(identifiers) || identifiers.some((n) => typeof n !== 'string')) throw new Error(`${identifiersFile}: expected a list of names`);
    fs.writeFileSync(path.join(tmp, 'identifiers.json'), referenceIdentifiersJson(identifiers));
    // ARC: the reference's evaluator reads test_puzzles.json ({task: {test: [{input, output}]}}); an unknown answer
    // is written as the builder writes it, [[0]]
    const auxFile = catalogEntry('encode.aux').path;
    if (enc.manifest.files[auxFile]) {
      const aux = readJsonFile<{ test_puzzles?: Record<string, { test: { input: number[][]; output: number[][] | null }[] }> }>(path.join(enc.dir, auxFile));
      if (aux.test_puzzles) {
        const tasks = Object.fromEntries(Object.entries(aux.test_puzzles).map(([k, v]) => [k, { test: v.test.map((t) => ({ input: t.input, output: t.output ?? [[0]] })) }]));
        fs.writeFileSync(path.join(tmp, 'test_puzzles.json'), pythonJson(tasks));
        testPuzzles = true;
      }
    }
    if (fs.existsSync(out)) fs.rmdirSync(out); // empty (checked above)
    fs.renameSync(tmp, out);
    return { splits: result, testPuzzles };
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** The files of an export, for messages and tests. */
export const referenceSplitFiles = () => [...REFERENCE_ARRAYS.map((a) => referenceArrayFile(SET, a)), 'dataset.json'];
