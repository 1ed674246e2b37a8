// Data stages end to end on the toy dataset (loaded by path, like a third-party DatasetLib).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.ts';
import { workspaceRoot } from '../workspace.ts';
import { readTable, openStage } from '../artifacts/open-stage.ts';
import { openArrowFile } from '../artifacts/arrow-table.ts';
import { loadEncodedSplit } from './encoded-split.ts';
import { stageDir } from '../artifacts/manifest.ts';
import { stageStates, type StageContext } from './context.ts';
import { runFetch } from './fetch.ts';
import { runAugment } from './augment.ts';
import { runEncode, type DatasetMetadata } from './encode.ts';

process.env.TRM_QUIET = '1';
const root = workspaceRoot();

async function context(sets: string[] = [], artifacts = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-st-'))): Promise<StageContext> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-cfg-'));
  fs.writeFileSync(path.join(dir, 'toy.json'), JSON.stringify({ dataset: './apps/pipeline/src/testing/toy-dataset.ts', seed: 5, fetch: { train_size: 6, test_size: 3 }, augment: { num_aug: 3 } }));
  const { config, dataset } = await loadConfig('toy', { dir, root, sets });
  return { config, dataset, root, artifacts };
}

const dataStages = async (ctx: StageContext) => [await runFetch(ctx), await runAugment(ctx), await runEncode(ctx)];

function folderBytes(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of fs.readdirSync(dir).sort()) if (f !== 'run.json') out[f] = fs.readFileSync(path.join(dir, f)).toString('base64');
  return out;
}

describe('fetch -> augment -> encode', () => {
  it('writes the documented tables and metadata', async () => {
    const ctx = await context();
    await dataStages(ctx);
    const fetched = await openStage(ctx.artifacts, 'toy', 'fetch');
    const puzzles = await fetched.rows('puzzles.arrow');
    expect(puzzles.map((r) => r.split)).toEqual([...Array(6).fill('train'), ...Array(3).fill('test')]);
    expect(puzzles[0]).toMatchObject({ puzzle_id: 'train-0', example_index: 0, role: 'test', rating: null, source: 'toy', in_rows: 1, in_cols: 6 });
    expect(Array.from(puzzles[0].output as Uint8Array)).toEqual(Array.from(puzzles[0].input as Uint8Array).reverse());

    const aug = await openStage(ctx.artifacts, 'toy', 'augment');
    const train = await aug.rows('train.arrow');
    expect(train.length).toBe(6 * 4);
    expect(train.slice(0, 4).map((r) => [r.group, r.aug_index])).toEqual([[0, 0], [0, 1], [0, 2], [0, 3]]);
    expect(train[0].input).toEqual(puzzles[0].input);
    expect((await aug.rows('test.arrow')).length).toBe(3);

    const enc = await openStage(ctx.artifacts, 'toy', 'encode');
    expect(enc.manifest.files['train.arrow'].rows).toBe(24);
    const meta = JSON.parse((await enc.metadata('train.arrow'))['trm.dataset']) as DatasetMetadata;
    expect(meta).toMatchObject({ vocab_size: 11, seq_len: 6, pad_id: 0, ignore_label_id: 0, blank_identifier_id: 0, num_puzzle_identifiers: 1, total_groups: 6, total_puzzles: 24, mean_puzzle_examples: 1 });
    const rows = await enc.rows('train.arrow');
    expect(Array.from(rows[0].inputs as Uint8Array)).toEqual(Array.from(puzzles[0].input as Uint8Array, (c) => c + 1));
    expect(rows.map((r) => r.puzzle_index)).toEqual(Array.from({ length: 24 }, (_, i) => i));
    expect(rows.map((r) => r.group_index)).toEqual(Array.from({ length: 24 }, (_, i) => Math.floor(i / 4)));
    expect(enc.json('identifiers.json')).toEqual(['<blank>']);
    expect(enc.manifest.inputs.augment).toBe(aug.hash);
  });

  it('is deterministic: the same config gives byte-identical artifacts', async () => {
    const a = await context();
    const b = await context();
    await dataStages(a);
    await dataStages(b);
    for (const s of ['fetch', 'augment', 'encode'] as const) {
      expect(folderBytes(stageDir(b.artifacts, 'toy', s))).toEqual(folderBytes(stageDir(a.artifacts, 'toy', s)));
    }
  });

  it('skips up-to-date stages and reruns only those whose sections changed', async () => {
    const ctx = await context();
    expect((await dataStages(ctx)).map((r) => r.skipped)).toEqual([false, false, false]);
    expect((await dataStages(ctx)).map((r) => r.skipped)).toEqual([true, true, true]);
    const augChanged = await context(['augment.num_aug=1'], ctx.artifacts);
    expect((await dataStages(augChanged)).map((r) => r.skipped)).toEqual([true, false, false]);
    const trainChanged = await context(['augment.num_aug=1', 'lr=0.5', 'arch.hidden_size=8'], ctx.artifacts);
    expect((await dataStages(trainChanged)).map((r) => r.skipped)).toEqual([true, true, true]);
    // a damaged output is not trusted
    fs.appendFileSync(path.join(stageDir(ctx.artifacts, 'toy', 'augment'), 'train.arrow'), 'x');
    expect((await dataStages(trainChanged)).map((r) => r.skipped)).toEqual([true, false, true]);
  });

  it('names the stage to run when an upstream stage is missing', async () => {
    const ctx = await context();
    await expect(runAugment(ctx)).rejects.toThrow('the fetch stage has not been run for config toy');
    await runFetch(ctx);
    await expect(runEncode(ctx)).rejects.toThrow('the augment stage has not been run for config toy (no manifest.json); run `trm augment --config toy`');
  });

  it('does not build on an upstream folder whose own manifest is stale, however far up', async () => {
    const ctx = await context();
    await dataStages(ctx);
    // fetch's config changed: fetch is stale, augment's own key still matches, encode must refuse both
    const changed = await context(['fetch.test_size=2'], ctx.artifacts);
    await expect(runEncode({ ...changed, force: true })).rejects.toThrow(/encode: .*toy\/fetch is stale \(fetch.test_size: 3 -> 2\): the encode stage does not build on it; run `trm fetch --config toy`/);
    const states = await stageStates(changed, ['fetch', 'augment', 'encode']);
    expect(states.map((s) => [s.stage, s.state])).toEqual([['fetch', 'stale'], ['augment', 'stale'], ['encode', 'stale']]);
    expect(states[1].why).toEqual(['upstream fetch is stale']);
    // rerunning the chain makes every stage up to date again
    await dataStages(changed);
    expect((await stageStates(changed, ['fetch', 'augment', 'encode'])).map((s) => s.state)).toEqual(['up to date', 'up to date', 'up to date']);
  });

  it('leaves no output when the dataset lib fails', async () => {
    const ctx = await context(['fetch.fail=true']);
    await expect(runFetch(ctx)).rejects.toThrow('toy fetch failed on purpose');
    expect(fs.readdirSync(path.join(ctx.artifacts, 'toy'))).toEqual([]);
  });

  it('reads back through the streaming reader in bounded batches', async () => {
    const ctx = await context(['fetch.train_size=1500', 'augment.num_aug=2']);
    await dataStages(ctx);
    const file = path.join(stageDir(ctx.artifacts, 'toy', 'encode'), 'train.arrow');
    const { info, batches } = await openArrowFile(file);
    expect(info.batches).toBe(2); // 4096 rows per record batch
    const sizes: number[] = [];
    for await (const b of batches) sizes.push(b.length);
    expect(sizes).toEqual([4096, 404]);
    const rows = await readTable(file);
    expect(rows[4499].group_index).toBe(1499);
    // the engine's flat view, read column-wise batch by batch, matches the rows
    const { split, meta } = await loadEncodedSplit(file);
    expect(meta.seq_len).toBe(6);
    expect(split.puzzleIdentifiers.length).toBe(4500);
    for (const i of [0, 4095, 4096, 4499]) {
      expect(split.inputs.subarray(i * 6, (i + 1) * 6)).toEqual(rows[i].inputs);
      expect(split.labels.subarray(i * 6, (i + 1) * 6)).toEqual(rows[i].labels);
      expect([split.puzzleIndex[i], split.groupIndex[i], split.puzzleIdentifiers[i]]).toEqual([rows[i].puzzle_index, rows[i].group_index, rows[i].puzzle_identifier]);
    }
  });
});
