// Evaluation during training in the train stage (issue 18), on sudoku-tiny in this process: the same weights with
// and without train.eval_interval, the evals.arrow table, a checkpoint at each evaluation whose model file
// trm evaluate --checkpoint reads, a stop after an evaluation and its resume, early stopping and final_model = best.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeSafetensors } from '@trm/tensor-core';
import { loadConfig } from '../config/load.ts';
import { configsDir, workspaceRoot } from '../workspace.ts';
import { readManifest, stageDir } from '../artifacts/manifest.ts';
import { readTable } from '../artifacts/open-stage.ts';
import { clearStop, requestStop } from '../run/signals.ts';
import { evaluateCheckpoint } from '../cli/evaluate-checkpoint.ts';
import type { StageContext } from './context.ts';
import { chain } from './index.ts';
import { runTrainCaptured } from './testing/run-train.ts';
import { reportUnfinished } from '../cli/report-partial.ts';
import { startMlflowStandIn } from '../tracking/testing/mlflow-stand-in.ts';
import { earlyStopReason, intervalRowsFromTable, type IntervalEval } from './interval-evals.ts';

const root = workspaceRoot();
// sudoku-tiny: 3 steps per epoch; evaluations after steps 3 and 6 (eval_interval = 1 from interval 0) and the last, 8
const SETS = ['train.epochs=20', 'train.max_steps=8', 'train.checkpoint_every=0', 'runtime.workers=0'];
const EVAL = ['train.eval_interval=1'];
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'trm-evals-'));

async function context(artifacts: string, sets: string[] = []): Promise<StageContext> {
  const { config, dataset } = await loadConfig('sudoku-tiny', { dir: configsDir(root), root, sets: [...SETS, ...sets] });
  return { config, dataset, root, artifacts };
}

/** Runs train; `stopAfterEval`: a stop request (what Ctrl-C does) once that many evaluations are logged. */
async function train(artifacts: string, sets: string[] = [], opts: { stopAfterEval?: number } = {}): Promise<{ log: string; error: string | null }> {
  let evals = 0;
  return runTrainCaptured(await context(artifacts, sets), (s) => {
    if (/: test exact /.test(s) && ++evals === opts.stopAfterEval) requestStop('SIGINT');
  });
}

async function encoded(): Promise<string> {
  const artifacts = tmp();
  const ctx = await context(artifacts);
  for (const s of chain('encode')) await s.run(ctx);
  return artifacts;
}

const copyOf = (from: string) => {
  const to = tmp();
  fs.cpSync(from, to, { recursive: true });
  return to;
};
const trainDir = (a: string) => stageDir(a, 'sudoku-tiny', 'train');
const file = (a: string, name: string) => fs.readFileSync(path.join(trainDir(a), name));
const evalRows = async (a: string) => intervalRowsFromTable(await readTable(path.join(trainDir(a), 'evals.arrow')), 'evals.arrow');
const runDir = (a: string) => {
  const p = path.join(a, 'sudoku-tiny', 'train.partial');
  return path.join(p, fs.readdirSync(p).find((n) => /^[0-9a-f]{12}$/.test(n))!);
};

let base: string;
let plain: string;
let withEvals: string;
let rows: IntervalEval[];
beforeAll(async () => {
  process.env.TRM_QUIET = '1';
  base = await encoded();
  plain = copyOf(base);
  expect((await train(plain)).error).toBeNull();
  withEvals = copyOf(base);
  expect((await train(withEvals, EVAL)).error).toBeNull();
  rows = await evalRows(withEvals);
}, 300_000);
afterEach(() => clearStop());

describe('evaluation during training (train stage)', () => {
  it('ends with the same weights and trainer state as a run without eval_interval, and writes one evals.arrow row per evaluation', async () => {
    expect(file(withEvals, 'model.safetensors').equals(file(plain, 'model.safetensors'))).toBe(true);
    expect(file(withEvals, 'state.safetensors').equals(file(plain, 'state.safetensors'))).toBe(true);
    expect(file(withEvals, 'metrics.arrow').equals(file(plain, 'metrics.arrow'))).toBe(true);
    expect(fs.existsSync(path.join(trainDir(plain), 'evals.arrow'))).toBe(false);
    const manifest = readManifest(trainDir(withEvals), 'train', 'sudoku-tiny').manifest;
    expect(manifest.files['evals.arrow'].rows).toBe(3);
    expect(rows.map((r) => r.step)).toEqual([3, 6, 8]);
    expect(rows.map((r) => r.epoch)).toEqual([1, 2, 8 / 3]);
    for (const r of rows) {
      expect(r.examples).toBe(8); // the whole test split (evaluate.subsample = 0)
      expect(r.exact_accuracy_per_step).toHaveLength(2); // halt_max_steps of sudoku-tiny
      expect(r.exact_accuracy).toBeGreaterThanOrEqual(0);
      expect(r.token_accuracy).toBeGreaterThan(0);
      expect(typeof r.task.valid_solution_rate).toBe('number'); // the dataset's own metric
    }
    // the last evaluation is of the published model: the evaluate stage finds the same exact accuracy
    const ctx = await context(withEvals, EVAL);
    const last = await evaluateCheckpoint(ctx, path.join(trainDir(withEvals), 'model.safetensors'));
    expect(last.exact_accuracy).toBe(rows[2].exact_accuracy);
    expect(last.token_accuracy).toBeCloseTo(rows[2].token_accuracy, 12);
    // nothing is left in train.partial by a finished run
    expect(fs.existsSync(path.join(withEvals, 'sudoku-tiny', 'train.partial'))).toBe(false);
  });

  it('evaluate.subsample evaluates that many test examples, whole puzzles, evenly spaced', async () => {
    const a = copyOf(base);
    expect((await train(a, [...EVAL, 'evaluate.subsample=3'])).error).toBeNull();
    const sub = await evalRows(a);
    expect(sub.map((r) => r.examples)).toEqual([3, 3, 3]);
    expect(file(a, 'model.safetensors').equals(file(plain, 'model.safetensors'))).toBe(true);
  });

  it('a stop after an evaluation leaves a checkpoint whose model file trm evaluate --checkpoint reads; the resumed run ends as the uninterrupted one', async () => {
    const a = copyOf(base);
    const stopped = await train(a, [...EVAL, 'train.keep_checkpoints=3'], { stopAfterEval: 2 });
    expect(stopped.error).toMatch(/stopped by SIGINT at step 6\/8/);
    const dir = path.join(runDir(a), 'step-6');
    const names = fs.readdirSync(dir).sort();
    expect(names).toEqual(['checkpoint.json', 'evals.json', 'metrics.json', 'model.safetensors', 'state.json', 'state.safetensors', 'stopped.json']);
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'stopped.json'), 'utf8'))).toEqual({ reason: 'SIGINT' });
    expect((JSON.parse(fs.readFileSync(path.join(dir, 'evals.json'), 'utf8')) as IntervalEval[]).map((r) => r.step)).toEqual([3, 6]);
    expect(fs.readdirSync(runDir(a)).filter((n) => /^step-/.test(n)).sort()).toEqual(['step-3', 'step-6']);
    // the checkpoint's model: the arch and the step in its header; evaluated as during training
    const header = decodeSafetensors(new Uint8Array(fs.readFileSync(path.join(dir, 'model.safetensors'))), 'model').metadata!;
    expect(header['trm.step']).toBe('6');
    const ctx = await context(a, EVAL);
    const ev = await evaluateCheckpoint(ctx, path.join(dir, 'model.safetensors'));
    expect(ev.step).toBe(6);
    expect(ev.exact_accuracy).toBe(rows[1].exact_accuracy);
    expect(ev.token_accuracy).toBeCloseTo(rows[1].token_accuracy, 12);

    // trm report on the stopped run: its newest checkpoint, marked stopped, with the test-accuracy curve so far
    const rep = await reportUnfinished(ctx);
    expect(rep?.state).toMatchObject({ state: 'stopped', step: 6, total: 8, reason: 'SIGINT', evaluated: 'last interval' });
    const md = fs.readFileSync(path.join(rep!.dir, 'report.md'), 'utf8');
    expect(md).toMatch(/\*\*Stopped at step 6\*\* of 8: SIGINT/);
    expect(md).toMatch(/2 evaluations during training/);
    expect(fs.existsSync(path.join(rep!.dir, 'img', 'test_accuracy_during_training.svg'))).toBe(true);
    expect(fs.existsSync(path.join(a, 'sudoku-tiny', 'report'))).toBe(false); // the finished report's folder is not touched

    const resumed = await train(a, EVAL);
    expect(resumed.error).toBeNull();
    expect(resumed.log).toMatch(/resuming from step 6/);
    expect(file(a, 'model.safetensors').equals(file(plain, 'model.safetensors'))).toBe(true);
    expect(await evalRows(a)).toEqual(rows);
  });

  it('train.early_stop stops where the rule says, and train.final_model = best publishes the best evaluation\'s model', async () => {
    const a = copyOf(base);
    // patience 1 on token accuracy: stop at the first evaluation that is not better than the best before it
    const res = await train(a, [...EVAL, 'train.early_stop=1', 'train.early_stop_metric=token_accuracy', 'train.final_model=best']);
    expect(res.error).toBeNull();
    const got = await evalRows(a);
    // the rule, applied to the uninterrupted run's evaluations: the first prefix it fires on
    const firing = rows.findIndex((_, i) => earlyStopReason(rows.slice(0, i + 1), 'token_accuracy', 1) !== null);
    const expected = firing < 0 ? rows : rows.slice(0, firing + 1);
    expect(got).toEqual(expected);
    const run = JSON.parse(file(a, 'run.json').toString()) as { stoppedEarly?: string; model?: { kind: string; step: number } };
    const best = expected.reduce((b, r) => (r.token_accuracy > b.token_accuracy ? r : b));
    const header = decodeSafetensors(new Uint8Array(file(a, 'model.safetensors')), 'model').metadata!;
    expect(header['trm.step']).toBe(String(best.step));
    if (firing >= 0) {
      expect(res.log).toMatch(/early stop: token_accuracy did not improve/);
      expect(run.stoppedEarly).toMatch(/^early stop: token_accuracy did not improve .* \(train.early_stop = 1\)$/);
      expect(readManifest(trainDir(a), 'train', 'sudoku-tiny').manifest.files['metrics.arrow'].rows).toBe(expected.at(-1)!.step);
    }
    expect(run.model).toEqual({ kind: 'best', step: best.step });
  });

  it('tracking: the same run\'s config, training steps, evaluations and end go to a JSON-lines file and an MLflow stand-in on 127.0.0.1', async () => {
    const a = copyOf(base);
    const jsonl = path.join(a, 'runs.jsonl');
    const mlflow = await startMlflowStandIn();
    try {
      const res = await train(a, [...EVAL, `tracking.jsonl=${jsonl}`, `tracking.mlflow_uri=${mlflow.url}`]);
      expect(res.error).toBeNull();
      expect(res.log).toMatch(/train: tracking to jsonl .*, mlflow /);
      const records = fs.readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; step?: number; status?: string; metrics?: Record<string, number>; params?: Record<string, unknown> });
      expect(records[0].type).toBe('run');
      expect(records[0].params!['train.eval_interval']).toBe(1);
      expect(records.filter((r) => r.type === 'train').map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      const evals = records.filter((r) => r.type === 'eval');
      expect(evals.map((r) => r.step)).toEqual([3, 6, 8]);
      expect(evals.map((r) => r.metrics!['eval/exact_accuracy'])).toEqual(rows.map((r) => r.exact_accuracy));
      expect(records.at(-1)).toMatchObject({ type: 'end', step: 8, status: 'finished' });
      const [run] = [...mlflow.runs.values()];
      expect(run.status).toBe('FINISHED');
      expect(run.params['train.eval_interval']).toBe('1');
      expect(run.metrics.filter((m) => m.key === 'eval/exact_accuracy').map((m) => m.step)).toEqual([3, 6, 8]);
      expect(run.metrics.filter((m) => m.key === 'train/loss')).toHaveLength(8);
      // the weights are those of the run without tracking
      expect(file(a, 'model.safetensors').equals(file(plain, 'model.safetensors'))).toBe(true);
    } finally {
      await mlflow.close();
    }
  });
});
