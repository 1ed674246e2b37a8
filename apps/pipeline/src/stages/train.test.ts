// train + evaluate on sudoku-tiny: outputs, determinism, resume after SIGINT, divergence handling.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.ts';
import { workspaceRoot, configsDir } from '../workspace.ts';
import { openStage } from '../artifacts/open-stage.ts';
import { stageDir } from '../artifacts/manifest.ts';
import type { StageContext } from './context.ts';
import { chain, stageInfo } from './index.ts';
import { runTrain } from './train.ts';

process.env.TRM_QUIET = '1';
const root = workspaceRoot();
const SETS = ['train.epochs=20', 'train.max_steps=8', 'train.checkpoint_every=1'];
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'trm-train-'));

async function context(artifacts: string, sets = SETS): Promise<StageContext> {
  const { config, dataset } = await loadConfig('sudoku-tiny', { dir: configsDir(root), root, sets });
  return { config, dataset, root, artifacts };
}

async function runUpTo(ctx: StageContext, stage: 'train' | 'evaluate') {
  const out = [];
  for (const s of chain(stage)) out.push(await s.run(ctx));
  return out;
}

const modelBytes = (artifacts: string) => fs.readFileSync(path.join(stageDir(artifacts, 'sudoku-tiny', 'train'), 'model.safetensors'));

describe('train and evaluate (sudoku-tiny)', () => {
  const reference = tmp();

  it('trains, evaluates, and skips when up to date', async () => {
    const ctx = await context(reference);
    const results = await runUpTo(ctx, 'evaluate');
    expect(results.map((r) => r.stage)).toEqual(['fetch', 'augment', 'encode', 'train', 'evaluate']);
    const train = await openStage(reference, 'sudoku-tiny', 'train');
    expect(train.manifest.backend?.name).toBe('cpu');
    expect(train.manifest.files['metrics.arrow'].rows).toBe(8);
    const metrics = await train.rows('metrics.arrow');
    expect(metrics.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(metrics.every((m) => Number.isFinite(m.loss as number) && (m.loss as number) > 0)).toBe(true);
    expect(Object.keys(train.manifest.files).sort()).toEqual(['metrics.arrow', 'model.safetensors', 'state.json', 'state.safetensors']);
    expect(fs.existsSync(path.join(reference, 'sudoku-tiny', 'train.partial'))).toBe(false);

    const ev = await openStage(reference, 'sudoku-tiny', 'evaluate');
    const enc = await openStage(reference, 'sudoku-tiny', 'encode');
    const m = ev.json<Record<string, number | number[]>>('metrics.json');
    expect(m.count).toBe(enc.manifest.files['test.arrow'].rows);
    expect(m.exact_accuracy_per_step).toHaveLength(2);
    expect(m.mean_steps).toBe(2);
    expect(typeof m.valid_solution_rate).toBe('number'); // the dataset's task metric
    const preds = await ev.rows('predictions.arrow');
    expect(preds.length).toBe(enc.manifest.files['test.arrow'].rows);
    const exact = preds.filter((p) => p.correct).length / preds.length;
    expect(exact).toBeCloseTo(m.exact_accuracy as number, 10);
    expect(ev.manifest.files['trajectories.arrow'].rows).toBe(2 * 2);
    expect(ev.manifest.inputs.train).toBe(train.hash);

    const again = await runUpTo(ctx, 'evaluate');
    expect(again.map((r) => r.skipped)).toEqual([true, true, true, true, true]);
  });

  it('resumes after SIGINT and ends with the same weights as an uninterrupted run', async () => {
    const artifacts = tmp();
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'apps/pipeline/src/main.ts'), 'train', '--config', 'sudoku-tiny', ...SETS.flatMap((s) => ['--set', s])], {
      cwd: root, env: { ...process.env, TRM_ARTIFACTS: artifacts, TRM_QUIET: '1' }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const latest = path.join(artifacts, 'sudoku-tiny', 'train.partial', 'latest.json');
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    let sent = false;
    while (!sent) {
      await new Promise((r) => setTimeout(r, 25));
      if (fs.existsSync(latest)) { child.kill('SIGINT'); sent = true; }
      if (child.exitCode !== null) break;
    }
    expect(await exited).toBe(1);
    expect(stderr).toMatch(/stopped by SIGINT at step \d\/8; checkpoint saved/);
    const stoppedAt = (JSON.parse(fs.readFileSync(latest, 'utf8')) as { step: number }).step;
    expect(stoppedAt).toBeGreaterThan(0);
    expect(stoppedAt).toBeLessThan(8);
    expect(fs.existsSync(stageDir(artifacts, 'sudoku-tiny', 'train'))).toBe(false);

    const resumed = await runTrain(await context(artifacts));
    expect(resumed.skipped).toBe(false);
    expect(JSON.parse(fs.readFileSync(path.join(resumed.dir, 'run.json'), 'utf8')).resumedFrom).toBe(stoppedAt);
    expect(modelBytes(artifacts).equals(modelBytes(reference))).toBe(true);
    const metrics = await (await openStage(artifacts, 'sudoku-tiny', 'train')).rows('metrics.arrow');
    const refMetrics = await (await openStage(reference, 'sudoku-tiny', 'train')).rows('metrics.arrow');
    expect(metrics).toEqual(refMetrics);

    // same weights -> byte-identical evaluation
    const ev = await stageInfo('evaluate').run(await context(artifacts));
    const ref = stageDir(reference, 'sudoku-tiny', 'evaluate');
    for (const f of ['predictions.arrow', 'trajectories.arrow', 'metrics.json']) {
      expect(fs.readFileSync(path.join(ev.dir, f)).equals(fs.readFileSync(path.join(ref, f))), f).toBe(true);
    }
  });

  it('trains data-parallel on worker threads when runtime.workers > 0', async () => {
    const artifacts = tmp();
    const ctx = await context(artifacts, [...SETS, 'train.max_steps=2', 'runtime.workers=2']);
    for (const s of chain('encode')) await s.run(ctx);
    const r = await runTrain(ctx);
    expect(r.manifest.files['metrics.arrow'].rows).toBe(2);
    const metrics = await (await openStage(artifacts, 'sudoku-tiny', 'train')).rows('metrics.arrow');
    expect(metrics.every((m) => Number.isFinite(m.loss as number))).toBe(true);
    // the worker count is part of the train key: the in-thread run is a different artifact
    const single = await context(artifacts, [...SETS, 'train.max_steps=2']);
    expect((await runTrain(single)).skipped).toBe(false);
  });

  it('stops on a non-finite loss, keeping the last good checkpoint and publishing nothing', async () => {
    const artifacts = tmp();
    const ctx = await context(artifacts, [...SETS, 'lr=1e30']);
    for (const s of chain('encode')) await s.run(ctx);
    await expect(runTrain(ctx)).rejects.toThrow(/training diverged at step \d+ .*loss is (NaN|Infinity|-Infinity).*the last good checkpoint is kept in/);
    expect(fs.existsSync(stageDir(artifacts, 'sudoku-tiny', 'train'))).toBe(false);
    expect(fs.existsSync(path.join(artifacts, 'sudoku-tiny', 'train.partial', 'latest.json'))).toBe(true);
  });
});
