// The report of a run that has not finished (issue 18): `trm report` while the train stage is running, or after it
// was stopped or killed, reports the newest checkpoint of the config's newest run in train.partial instead of running
// the stages (which would continue the training): the training curves so far, the test-accuracy curve of the
// evaluations during training (train.eval_interval) and the best interval, under a banner "in progress at step N of
// M" or "stopped at step N". It goes to artifacts/<config>/report.partial/ (catalog entry report.partial), never over
// the finished report.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CHECKPOINT_FILES } from '../catalog/checkpoints.ts';
import { entryFolder } from '../catalog/entries.mjs';
import { CheckpointStore } from '../io/checkpoint-store.ts';
import { log } from '../io/progress.ts';
import { holderState, lockPath, readLock } from '../run/lock.ts';
import { buildReport } from '../report/build.ts';
import { countParams, dataSizes, gitInfo, stageRecords } from '../report/load.ts';
import type { ReportInput, RunState, TrainMetricRow } from '../report/types.ts';
import { openInputs } from '../catalog/index.ts';
import { safetensorsInput } from '../catalog/formats.ts';
import { stageDeclaration } from '../stages/declarations.mjs';
import { bestEval, metricOf, type IntervalEval } from '../stages/interval-evals.ts';
import { stageStates, type StageContext } from '../stages/context.ts';
import { overridesOf, shownConfig } from '../stages/report.ts';

/** The newest checkpoint of the newest run in train.partial, when the train stage is not up to date; else null. */
export async function unfinishedRun(ctx: StageContext): Promise<{ dir: string; step: number; files: Record<string, Uint8Array> } | null> {
  const [train] = await stageStates(ctx, ['train']);
  if (train.state === 'up to date') return null;
  const root = entryFolder(ctx.artifacts, ctx.config.name, 'train.checkpoints');
  if (!fs.existsSync(root)) return null;
  const runs = fs.readdirSync(root).filter((n) => /^[0-9a-f]{12}$/.test(n) && fs.existsSync(path.join(root, n, 'latest.json')));
  const newest = runs.map((n) => ({ n, t: fs.statSync(path.join(root, n, 'latest.json')).mtimeMs })).sort((a, b) => b.t - a.t)[0];
  if (!newest) return null;
  const c = new CheckpointStore(path.join(root, newest.n)).latest();
  return c ? { dir: c.dir, step: c.step, files: c.files } : null;
}

const text = (b: Uint8Array | undefined) => (b ? new TextDecoder().decode(b) : null);

/** Writes the report of an unfinished run (see the top of this file); null when the run is finished or absent. */
export async function reportUnfinished(ctx: StageContext): Promise<{ dir: string; state: RunState } | null> {
  const run = await unfinishedRun(ctx);
  if (!run) return null;
  const name = ctx.config.name;
  const meta = JSON.parse(text(run.files[CHECKPOINT_FILES.meta]) ?? '{}') as { totalSteps?: number };
  const max = Number(ctx.config.train.max_steps ?? 0);
  const total = max > 0 ? Math.min(max, meta.totalSteps ?? max) : meta.totalSteps ?? run.step;
  const metrics = JSON.parse(text(run.files[CHECKPOINT_FILES.metrics]) ?? '[]') as TrainMetricRow[];
  const evals = JSON.parse(text(run.files[CHECKPOINT_FILES.evals]) ?? '[]') as IntervalEval[];
  const stopped = text(run.files[CHECKPOINT_FILES.stopped]);
  const holder = readLock(lockPath(ctx.artifacts, name));
  const running = !!holder && holderState(holder) === 'running';
  const watch = String(ctx.config.train.early_stop_metric ?? 'exact_accuracy');
  const last = evals.at(-1);
  const state: RunState = {
    state: running ? 'in progress' : 'stopped',
    step: run.step,
    total,
    reason: running ? `${holder!.command}, pid ${holder!.pid}` : stopped ? `${(JSON.parse(stopped) as { reason: string }).reason}` : 'the training process ended without saving a stop (killed?)',
    model: { kind: 'last', step: run.step },
    evaluated: last ? 'last interval' : 'none',
  };
  // the report's own inputs, as far as they exist: the data stages (train and evaluate are what is missing)
  const inputs = openInputs(ctx, stageDeclaration('report'));
  const model = path.join(run.dir, CHECKPOINT_FILES.model);
  const best = bestEval(evals, watch);
  const input: ReportInput = {
    configName: name,
    config: shownConfig(ctx.config),
    overrides: await overridesOf(ctx),
    dataset: ctx.dataset.lib,
    git: gitInfo(null, ctx.root),
    backend: null,
    params: fs.existsSync(model) ? countParams(safetensorsInput(model).header()) : null,
    data: await dataSizes(inputs.table('encode.train'), inputs.table('encode.test')),
    stages: stageRecords((['fetch', 'augment', 'encode'] as const).map((s) => inputs.stage(s))), // those a run in training has
    training: { seconds: null, steps: metrics.length, workers: null },
    imported: null,
    trainMetrics: metrics,
    // the last evaluation during training stands for the final one (the sections that need every prediction are empty)
    evalMetrics: last
      ? { count: last.examples, exact_accuracy: last.exact_accuracy, token_accuracy: last.token_accuracy, q_halt_accuracy: last.q_halt_accuracy, mean_steps: last.mean_steps, accuracy_per_step: last.accuracy_per_step, exact_accuracy_per_step: last.exact_accuracy_per_step, task: last.task }
      : { count: 0, exact_accuracy: NaN, token_accuracy: NaN, q_halt_accuracy: NaN, mean_steps: NaN, accuracy_per_step: [], exact_accuracy_per_step: [], task: {} },
    testRows: { steps: new Int32Array(0), qHalt: new Float32Array(0), correct: new Uint8Array(0) },
    examples: [],
    comparison: null,
    intervalEvals: evals,
    watchMetric: watch,
    runState: state,
  };
  const out = await buildReport(input);
  const dir = entryFolder(ctx.artifacts, name, 'report.partial');
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  fs.writeFileSync(path.join(tmp, 'report.md'), out.markdown);
  for (const [rel, body] of Object.entries(out.files)) {
    fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
    fs.writeFileSync(path.join(tmp, rel), body);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  const where = path.relative(process.cwd(), dir) || dir;
  log(`report: the run of ${name} is ${state.state === 'in progress' ? `in progress at step ${run.step} of ${total}` : `stopped at step ${run.step} of ${total}`}; ` +
    `${where}/report.md reports its newest checkpoint (${path.relative(process.cwd(), run.dir) || run.dir})` +
    `${best ? `; best ${watch} ${(100 * metricOf(best, watch)).toFixed(2)}% at step ${best.step}` : ''}` +
    `${state.state === 'stopped' ? `; \`trm train --config ${name}\` continues it` : ''}`);
  return { dir, state };
}
