// `trm export --format reference` of the shared Sudoku and Maze puzzles equals the reference builder's files
// (../shared/data/*/reference-npy, made by the reference code from the same puzzles, no augmentation).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.ts';
import { workspaceRoot } from '../workspace.ts';
import { upstream, type StageContext } from '../stages/context.ts';
import { runFetch } from '../stages/fetch.ts';
import { runAugment } from '../stages/augment.ts';
import { runEncode } from '../stages/encode.ts';
import { exportReferenceDataset } from './export-data.ts';

process.env.TRM_QUIET = '1';
const root = workspaceRoot();
const SHARED = path.join(root, '../shared/data');

async function exported(name: string, config: Record<string, unknown>): Promise<{ out: string; ctx: StageContext }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-export-'));
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(config));
  const { config: resolved, dataset } = await loadConfig(name, { dir, root });
  const ctx: StageContext = { config: resolved, dataset, root, artifacts: path.join(dir, 'artifacts') };
  await runFetch(ctx);
  await runAugment(ctx);
  await runEncode(ctx);
  const out = path.join(dir, 'out');
  await exportReferenceDataset(await upstream(ctx, 'encode'), out);
  return { out, ctx };
}

const filesUnder = (dir: string): string[] => (fs.readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[]).filter((f) => fs.statSync(path.join(dir, f)).isFile()).sort();

/** Every file of the reference folder: .npy and identifiers.json byte for byte; dataset.json value for value. */
function expectSameAsReference(out: string, reference: string): void {
  const theirs = filesUnder(reference);
  expect(theirs.length).toBeGreaterThanOrEqual(7);
  for (const f of theirs) {
    const a = fs.readFileSync(path.join(out, f));
    const b = fs.readFileSync(path.join(reference, f));
    if (path.basename(f) === 'dataset.json') {
      // The shared files come from other versions of the builders (common.py's fields in another order; Maze's
      // from before total_puzzles existed); ours are json.dump of the reference's PuzzleDatasetMetadata as it is now.
      const ours = JSON.parse(a.toString());
      expect(Object.keys(ours)).toEqual(['pad_id', 'ignore_label_id', 'blank_identifier_id', 'vocab_size', 'seq_len', 'num_puzzle_identifiers', 'total_groups', 'mean_puzzle_examples', 'total_puzzles', 'sets']);
      expect(ours).toMatchObject(JSON.parse(b.toString()));
      expect(a.toString()).toContain('"mean_puzzle_examples": 1.0,');
    } else {
      expect(a.length, f).toBe(b.length);
      expect(Buffer.compare(a, b), `${f} differs from the reference builder's`).toBe(0);
    }
  }
}

describe('export --format reference equals the reference builder byte for byte', () => {
  it('Sudoku-Extreme 1k (train only, as the shared build)', async () => {
    const { out } = await exported('sx', {
      extends: path.join(root, 'configs/sudoku-base.json'),
      fetch: { source: 'csv', train_files: ['../shared/data/sudoku/sudoku-extreme-train-1k.csv'] },
      augment: { num_aug: 0 },
    });
    expectSameAsReference(out, path.join(SHARED, 'sudoku/reference-npy'));
    expect(filesUnder(out)).toEqual(filesUnder(path.join(SHARED, 'sudoku/reference-npy'))); // no test/ for an empty split
  });

  it('Maze-Hard 30x30 (train and test)', async () => {
    const { out } = await exported('mz', {
      extends: path.join(root, 'configs/maze-base.json'),
      fetch: { source: 'csv', train_path: '../shared/data/maze/maze-hard-train.csv', test_path: '../shared/data/maze/maze-hard-test.csv' },
      augment: { dihedral: false },
    });
    expectSameAsReference(out, path.join(SHARED, 'maze/reference-npy'));
    expect(filesUnder(out)).toEqual(filesUnder(path.join(SHARED, 'maze/reference-npy')));
  });
});

describe('export --format reference', () => {
  it('lays out augmented groups (several puzzles per group) and refuses to overwrite', async () => {
    const { out, ctx } = await exported('toy', { dataset: './apps/pipeline/src/testing/toy-dataset.ts', seed: 5, fetch: { train_size: 6, test_size: 3 }, augment: { num_aug: 3 } });
    const { parseNpy } = await import('@trm/dataset');
    const npy = (f: string) => Array.from(parseNpy(new Uint8Array(fs.readFileSync(path.join(out, f))), f).data);
    expect(npy('train/all__group_indices.npy')).toEqual([0, 4, 8, 12, 16, 20, 24]);
    expect(npy('train/all__puzzle_indices.npy')).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(npy('test/all__group_indices.npy')).toEqual([0, 1, 2, 3]);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'train/dataset.json'), 'utf8'))).toMatchObject({ total_groups: 6, total_puzzles: 24, mean_puzzle_examples: 1 });
    const before = fs.readFileSync(path.join(out, 'train/all__inputs.npy'));
    await expect(exportReferenceDataset(await upstream(ctx, 'encode'), out)).rejects.toThrow(/already exists and is not an empty folder/);
    expect(fs.readFileSync(path.join(out, 'train/all__inputs.npy'))).toEqual(before);
    expect(fs.readdirSync(path.dirname(out)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
