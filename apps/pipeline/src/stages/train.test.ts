// train + evaluate on sudoku-tiny: outputs, determinism, resume after SIGINT, divergence handling.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../config/load.ts';
import { workspaceRoot, configsDir } from '../workspace.ts';
import { openStage } from '../artifacts/open-stage.ts';
import { stageDir } from '../artifacts/manifest.ts';
import type { StageContext } from './context.ts';
import { chain, stageInfo } from './index.ts';
import { runTrain, trainWorkers } from './train.ts';
import { evaluateWorkers } from './evaluate.ts';

process.env.TRM_QUIET = '1';
const root = workspaceRoot();
const SETS = ['train.epochs=20', 'train.max_steps=8', 'train.checkpoint_every=1', 'runtime.workers=0'];
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
    const partial = path.join(artifacts, 'sudoku-tiny', 'train.partial');
    const latestFile = () => (fs.existsSync(partial) ? fs.readdirSync(partial).map((id) => path.join(partial, id, 'latest.json')).find((f) => fs.existsSync(f)) : undefined);
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    let sent = false;
    while (!sent) {
      await new Promise((r) => setTimeout(r, 25));
      if (latestFile()) { child.kill('SIGINT'); sent = true; }
      if (child.exitCode !== null) break;
    }
    expect(await exited).toBe(130);
    expect(stderr).toMatch(/stopped by SIGINT at step \d\/8; checkpoint saved/);
    const stoppedAt = (JSON.parse(fs.readFileSync(latestFile()!, 'utf8')) as { step: number }).step;
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

  it('gives the same final metrics on 2 worker threads as in the main thread, and says so in the log', async () => {
    const artifacts = tmp();
    const ctx = await context(artifacts, [...SETS, 'runtime.workers=2']);
    const logged: string[] = [];
    process.env.TRM_QUIET = '0';
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { logged.push(String(s)); return true; });
    try {
      await runUpTo(ctx, 'evaluate');
    } finally {
      spy.mockRestore();
      process.env.TRM_QUIET = '1';
    }
    const text = logged.join('');
    expect(text).toContain('train: on cpu, in float32, 2 worker threads\n');
    expect(text).toContain('evaluate: 8 test examples in batches of 8, 2 supervision steps each, on cpu, 2 worker threads\n');

    // Summation order is the only difference: float32 rounding (~1e-7 relative per reduction) that training then
    // amplifies step by step (measured on sudoku-quick: ~1e-8 after 2 steps, ~3e-6 after 8, ~1e-3 after 20).
    // Over these 8 steps of a 16-wide model the losses agree to ~1e-8; 1e-6 (a few float32 ulps) leaves margin and
    // still catches any real mistake (a lost or doubled row, a wrong carry or exploration draw: >= 1e-3).
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(a), 1e-12);
    const parallel = await (await openStage(artifacts, 'sudoku-tiny', 'train')).rows('metrics.arrow');
    const single = await (await openStage(reference, 'sudoku-tiny', 'train')).rows('metrics.arrow');
    expect(parallel).toHaveLength(single.length);
    for (const [i, row] of single.entries()) {
      for (const k of ['lm_loss', 'q_halt_loss', 'loss']) expect(rel(parallel[i][k] as number, row[k] as number), `step ${i + 1} ${k}`).toBeLessThan(1e-6);
      for (const k of ['accuracy', 'exact_accuracy', 'steps', 'count']) expect(parallel[i][k], `step ${i + 1} ${k}`).toBe(row[k]);
    }

    const ev = await openStage(artifacts, 'sudoku-tiny', 'evaluate');
    const ref = await openStage(reference, 'sudoku-tiny', 'evaluate');
    const m = ev.json<Record<string, number | number[]>>('metrics.json');
    const r = ref.json<Record<string, number | number[]>>('metrics.json');
    expect(m.exact_accuracy).toBe(r.exact_accuracy);
    expect(m.exact_accuracy_per_step).toEqual(r.exact_accuracy_per_step);
    expect(Object.keys(m).sort()).toEqual(Object.keys(r).sort());
    for (const k of Object.keys(r)) {
      const [a, b] = [[m[k]].flat(), [r[k]].flat()];
      expect(a).toHaveLength(b.length);
      b.forEach((x, j) => expect(Math.abs(a[j] - x), `${k}[${j}]`).toBeLessThan(1e-6));
    }
    const qHalt = (await ev.rows('predictions.arrow')).map((p) => p.q_halt as number);
    const refQHalt = (await ref.rows('predictions.arrow')).map((p) => p.q_halt as number);
    qHalt.forEach((q, j) => expect(rel(q, refQHalt[j]), `q_halt of example ${j}`).toBeLessThan(1e-5));
    // the worker counts are recorded and part of both stages' keys (the results differ in the last bits)
    expect(JSON.parse(fs.readFileSync(path.join(ev.dir, 'run.json'), 'utf8')).workers).toBe(2);
    expect(ev.manifest.configHash).not.toBe(ref.manifest.configHash);
    const train = await openStage(artifacts, 'sudoku-tiny', 'train');
    expect(JSON.parse(fs.readFileSync(path.join(train.dir, 'run.json'), 'utf8')).workers).toBe(2);
    expect(train.manifest.configHash).not.toBe((await openStage(reference, 'sudoku-tiny', 'train')).manifest.configHash);
  });

  it('caps the worker threads at the rows of one model call', async () => {
    const plan = async (sets: string[]) => {
      const { config } = await context(tmp(), [...SETS, ...sets]);
      return { train: trainWorkers(config, 'cpu'), evaluate: evaluateWorkers(config, 'cpu') };
    };
    const capped = await plan(['runtime.workers=12', 'global_batch_size=6', 'evaluate.batch_size=4']);
    expect(capped.train.workers).toBe(6);
    expect(capped.train.notes[0]).toBe('runtime.workers = 12 capped at 6: train.global_batch_size gives one call of the model only 6 rows');
    expect(capped.evaluate.workers).toBe(4);
    expect(capped.evaluate.notes[0]).toBe('runtime.workers = 12 capped at 4: evaluate.batch_size gives one call of the model only 4 rows');
    // micro-batches run inside each worker: they do not cap the workers
    const micro = await plan(['runtime.workers=3', 'global_batch_size=8', 'train.micro_batch_size=2']);
    expect(micro.train.workers).toBe(3);
    expect(micro.evaluate).toMatchObject({ workers: 3 });
    expect((await plan(['runtime.workers=0'])).train).toEqual({ workers: 0, notes: [] });
  });

  it('stops on a non-finite loss, keeping the last good checkpoint and publishing nothing', async () => {
    const artifacts = tmp();
    const ctx = await context(artifacts, [...SETS, 'lr=1e30']);
    for (const s of chain('encode')) await s.run(ctx);
    const err = await runTrain(ctx).then(() => null, (e: Error) => e.message);
    expect(err).toMatch(/^train: training diverged at step (\d+) \(epoch \d+\): loss is (NaN|Infinity|-Infinity)\. The last checkpoint, step (\d+), is kept in (\S+); to continue it with a lower lr: `trm train --config sudoku-tiny --set train\.lr=5e\+29 --resume-from \S+`/);
    const [, failed, , kept, dir] = /step (\d+) .*loss is (\S+)\. The last checkpoint, step (\d+), is kept in (\S+);/.exec(err!)!;
    expect(Number(kept)).toBe(Number(failed) - 1);
    expect(fs.existsSync(path.join(dir, 'checkpoint.json'))).toBe(true);
    expect(fs.existsSync(stageDir(artifacts, 'sudoku-tiny', 'train'))).toBe(false);
  });
});
