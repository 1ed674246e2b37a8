// The report stage on real fetch/augment/encode artifacts (toy dataset) and hand-written train/evaluate artifacts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeArrowFile, type ColumnSpec, type Row } from '../artifacts/arrow-table.ts';
import { readManifest, stageDir, type ManifestKey } from '../artifacts/manifest.ts';
import { readTable } from '../artifacts/open-stage.ts';
import { writeStage } from '../artifacts/stage-writer.ts';
import { loadConfig } from '../config/load.ts';
import { runAugment } from '../stages/augment.ts';
import { stageKey, type StageContext } from '../stages/context.ts';
import { runEncode } from '../stages/encode.ts';
import { runFetch } from '../stages/fetch.ts';
import { runReport } from '../stages/report.ts';
import { workspaceRoot } from '../workspace.ts';
import { markdownToHtml } from './testing/markdown-html.ts';
import { assertWellFormedXml } from './testing/xml.ts';

const root = workspaceRoot();
let tmp: string;
let artifacts: string;

function writeConfig(name: string, lr: number): void {
  const cfg = {
    description: 'report stage test', dataset: './apps/pipeline/src/testing/toy-dataset.ts',
    fetch: { length: 6, train_size: 6, test_size: 4 }, augment: { num_aug: 1 },
    arch: { hidden_size: 16, num_heads: 2, L_layers: 1, H_cycles: 1, L_cycles: 1, halt_max_steps: 3, puzzle_emb_ndim: 0 },
    train: { global_batch_size: 4, epochs: 2, lr }, evaluate: { trajectory_examples: 2 }, report: { examples: 3 },
    runtime: { backend: 'cpu' },
  };
  fs.writeFileSync(path.join(tmp, 'configs', `${name}.json`), JSON.stringify(cfg));
}

async function context(name: string, sets: string[] = []): Promise<StageContext> {
  const { config, dataset } = await loadConfig(path.join(tmp, 'configs', `${name}.json`), { dir: path.join(tmp, 'configs'), root, sets });
  return { config, dataset, root, artifacts };
}

/** The key the stage would have (hand-written artifacts must be up to date: the report builds only on those). */
function key(ctx: StageContext, stage: 'train' | 'evaluate'): Promise<ManifestKey> {
  return stageKey(ctx, stage);
}

/** A safetensors file holding only a header (shapes are all the report reads). */
function safetensorsHeader(shapes: Record<string, number[]>): Uint8Array {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, shape] of Object.entries(shapes)) {
    const bytes = 4 * shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, Buffer.alloc(offset)]);
}

const metricColumns: ColumnSpec[] = [
  ...['step', 'epoch', 'count'].map((name): ColumnSpec => ({ name, kind: 'int32' })),
  ...['lr', 'lm_loss', 'q_halt_loss', 'loss', 'accuracy', 'exact_accuracy', 'q_halt_accuracy', 'steps'].map((name): ColumnSpec => ({ name, kind: 'float32' })),
];

async function fakeTrain(ctx: StageContext): Promise<void> {
  await writeStage(stageDir(artifacts, ctx.config.name, 'train'), await key(ctx, 'train'), async (dir) => {
    fs.writeFileSync(path.join(dir, 'model.safetensors'), safetensorsHeader({
      'model.inner.embed_tokens.embedding_weight': [11, 16], 'model.inner.lm_head.weight': [11, 16],
      'model.inner.H_init': [16], 'model.inner.L_init': [16], 'model.inner.puzzle_emb.weights': [2, 8],
    }));
    const rows = Array.from({ length: 5 }, (_, i) => ({
      step: i + 1, epoch: Math.floor(i / 3), count: 4, lr: 1e-4 * (i + 1), lm_loss: 2 - 0.3 * i, q_halt_loss: 0.5, loss: 2.25 - 0.3 * i,
      accuracy: 0.2 * i, exact_accuracy: 0.1 * i, q_halt_accuracy: 0.5, steps: 2,
    }));
    await writeArrowFile(path.join(dir, 'metrics.arrow'), metricColumns, rows);
    return { steps: 5, resumedFrom: 0, secondsTraining: 2.5, workers: 1 };
  });
}

const S = 6;
const predictionColumns: ColumnSpec[] = [
  { name: 'index', kind: 'int32' }, { name: 'group_index', kind: 'int32' }, { name: 'puzzle_identifier', kind: 'int32' },
  { name: 'inputs', kind: { fixedU8: S } }, { name: 'labels', kind: { fixedU8: S } }, { name: 'preds', kind: { fixedU8: S } },
  { name: 'q_halt', kind: 'float32' }, { name: 'steps', kind: 'int32' }, { name: 'correct', kind: 'bool' },
];

/** Evaluate artifact: even rows right, odd rows with their last token wrong; trajectories of the first two rows. */
async function fakeEvaluate(ctx: StageContext, exact: number): Promise<void> {
  const test = await readTable(path.join(stageDir(artifacts, ctx.config.name, 'encode'), 'test.arrow'));
  await writeStage(stageDir(artifacts, ctx.config.name, 'evaluate'), await key(ctx, 'evaluate'), async (dir) => {
    const preds = test.map((r, i) => {
      const p = (r.labels as Uint8Array).slice();
      if (i % 2) p[S - 1] = 1 + (p[S - 1] % 10);
      return p;
    });
    const rows: Row[] = test.map((r, i) => ({
      index: i, group_index: r.group_index, puzzle_identifier: r.puzzle_identifier, inputs: r.inputs, labels: r.labels, preds: preds[i],
      q_halt: i % 2 ? -1 : 1, steps: 3, correct: i % 2 === 0,
    }));
    await writeArrowFile(path.join(dir, 'predictions.arrow'), predictionColumns, rows);
    const traj: Row[] = [];
    for (let i = 0; i < 2; i++) for (let s = 1; s <= 3; s++) traj.push({ index: i, step: s, preds: s === 3 ? preds[i] : new Uint8Array(S).fill(1) });
    await writeArrowFile(path.join(dir, 'trajectories.arrow'), [predictionColumns[0], { name: 'step', kind: 'int32' }, predictionColumns[5]], traj);
    fs.writeFileSync(path.join(dir, 'metrics.json'), JSON.stringify({
      count: test.length, exact_accuracy: exact, token_accuracy: 0.9, q_halt_accuracy: 1, mean_steps: 3,
      accuracy_per_step: [0.1, 0.5, 0.9], exact_accuracy_per_step: [0, 0.25, exact], toy_examples: test.length,
    }));
  });
}

describe('report stage', () => {
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-report-'));
    artifacts = path.join(tmp, 'artifacts');
    fs.mkdirSync(path.join(tmp, 'configs'));
    writeConfig('toy-report', 1e-4);
    const ctx = await context('toy-report');
    await runFetch(ctx);
    await runAugment(ctx);
    await runEncode(ctx);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('fails naming the stage to run when an upstream artifact is missing', async () => {
    const ctx = await context('toy-report', ['train.lr=0.0003']);
    await expect(runReport(ctx)).rejects.toThrow(/the train stage has not been run for config toy-report.*trm train --config toy-report/);
    await fakeTrain(ctx);
    await expect(runReport(ctx)).rejects.toThrow(/the evaluate stage has not been run for config toy-report.*trm evaluate --config toy-report/);
  });

  it('writes report.md with relative links to well-formed SVGs, a manifest and the history', async () => {
    const ctx = await context('toy-report', ['train.lr=0.0003']);
    await fakeEvaluate(ctx, 0.5);
    const res = await runReport(ctx);
    const dir = res.dir;
    const md = fs.readFileSync(path.join(dir, 'report.md'), 'utf8');
    const html = markdownToHtml(md);
    expect(html.images.length).toBeGreaterThan(8);
    for (const src of html.images) {
      expect(src.startsWith('img/')).toBe(true);
      // the toy dataset draws minimal SVGs (no size): well-formedness only here
      assertWellFormedXml(fs.readFileSync(path.join(dir, src), 'utf8'), src);
    }
    expect(Object.keys(res.manifest.files)).toEqual(expect.arrayContaining(['report.md', 'history.json', 'img/loss.svg']));
    expect(res.manifest.inputs).toHaveProperty('evaluate');
    // the run summary reads the train artifacts: header parameter counts, backend, time
    expect(md).toContain('352 (model) + 16 (puzzle embeddings)');
    // train/run.json records no commit here: the report says it shows HEAD
    expect(md).toMatch(/`[0-9a-f]{40}` \(HEAD when this report was written; the train stage recorded no commit/);
    expect(md).toContain('cpu 4.22.0');
    expect(md).toContain('2.00 steps/s');
    expect(md).toContain('| Training threads | 1 worker thread (recorded by the train stage) |');
    expect(md).toMatch(/\| exact accuracy \| 50\.0% \|/);
    expect(md).toMatch(/\| `toy_examples` \| 4 \|/);
    expect(md).not.toContain('`count`');
    // 4 test examples: two with trajectories, then the wrong ones, then the right ones (3 drawn)
    expect(md).toContain('### Test example 0: prediction after each supervision step');
    expect(md).toContain('### Test example 1 (group 1): not solved (1 wrong cell');
    expect(md).toContain('### Test example 3 (group 3)');
    expect(md).toContain('npx nx run pipeline:report --config toy-report --set train.lr=0.0003');
    expect(md).toContain('No comparison run.');
    const history = JSON.parse(fs.readFileSync(path.join(dir, 'history.json'), 'utf8'));
    expect(history).toHaveLength(1);
    expect(history[0].metrics.exact_accuracy).toBe(0.5);
  });

  it('is up to date on a second run, and compares with the previous run after evaluate changes', async () => {
    const ctx = await context('toy-report', ['train.lr=0.0003']);
    expect((await runReport(ctx)).skipped).toBe(true);
    await fakeEvaluate(ctx, 0.75);
    const res = await runReport(ctx);
    const md = fs.readFileSync(path.join(res.dir, 'report.md'), 'utf8');
    expect(md).toMatch(/Against \*\*toy-report @ \w+, evaluate \w{8}\*\* \(old\)/);
    expect(md).toContain('The resolved configs are identical.');
    expect(md).toContain('| `exact_accuracy` | 50.0% | 75.0% | +25.0 pp |');
    expect(JSON.parse(fs.readFileSync(path.join(res.dir, 'history.json'), 'utf8'))).toHaveLength(2);
  });

  it('names the stage to rerun when an artifact lacks a file the report needs or was modified', async () => {
    writeConfig('toy-broken', 1e-4);
    fs.cpSync(path.join(artifacts, 'toy-report'), path.join(artifacts, 'toy-broken'), { recursive: true });
    const ctx = await context('toy-broken');
    await fakeTrain(ctx);
    const evalDir = stageDir(artifacts, 'toy-broken', 'evaluate');
    await writeStage(evalDir, await key(ctx, 'evaluate'), async (dir) => {
      fs.writeFileSync(path.join(dir, 'metrics.json'), JSON.stringify({ exact_accuracy: 1 }));
    });
    await expect(runReport(ctx)).rejects.toThrow(/has no predictions\.arrow .*trm evaluate --config toy-broken --force/);
    await fakeEvaluate(ctx, 0.5);
    const metrics = path.join(evalDir, 'metrics.json');
    const good = JSON.parse(fs.readFileSync(metrics, 'utf8'));
    fs.writeFileSync(metrics, JSON.stringify({ ...good, token_accuracy: 'high' }));
    // the file no longer matches its manifest: the upstream check names it and the stage to rerun
    await expect(runReport(ctx)).rejects.toThrow(/evaluate\/metrics\.json: .*manifest.*trm evaluate --config toy-broken/);
  });

  it('--compare OTHER diffs params and metrics against another config, and names the stage it lacks', async () => {
    writeConfig('toy-other', 1e-3);
    fs.cpSync(path.join(artifacts, 'toy-report'), path.join(artifacts, 'toy-other'), { recursive: true });
    const ctx = await context('toy-report', ['train.lr=0.0003']);
    const res = await runReport({ ...ctx, compare: 'toy-other' });
    const md = fs.readFileSync(path.join(res.dir, 'report.md'), 'utf8');
    expect(md).toContain('Against **toy-other** (old)');
    expect(md).toContain('| `train.lr` | `0.001` | `0.0003` |');
    writeConfig('toy-none', 1e-3);
    await expect(runReport({ ...ctx, compare: 'toy-none' })).rejects.toThrow(/--compare toy-none: .*the evaluate stage has not been run for config toy-none/);
  });
});
