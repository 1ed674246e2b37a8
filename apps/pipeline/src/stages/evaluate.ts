// evaluate: runs the trained model (EMA weights when `ema`) over the encoded test split for halt_max_steps
// supervision steps; writes predictions.arrow, trajectories.arrow, metrics.json and the dataset's task files.
// With runtime.workers > 0 every test batch is split across worker threads (a data-parallel model).
import * as fs from 'node:fs';
import type { ExamplePrediction } from '@trm/dataset';
import { combineEvalBatches, createModel, evaluateBatches, evaluateModel, type ArchConfig, type TrmModel } from '@trm/trm';
import { createDataParallelModel } from '@trm/trm-parallel';
import type { BackendName } from '@trm/tensor-node';
import type { ColumnSpec, Row } from '../artifacts/arrow-table.ts';
import { catalogEntry } from '../catalog/entries.mjs';
import { files, json, runCatalogStage, table, type StageOutputs } from '../catalog/index.ts';
import { createProgress, log } from '../io/progress.ts';
import { stoppable, stopRequested, StoppedError } from '../run/signals.ts';
import { describeWorkers, planWorkers, type WorkerPlan } from '../config/workers.ts';
import type { ResolvedConfig } from '../config/load.ts';
import type { StageContext, StageResult } from './context.ts';
import { encodedSplit } from './encoded-split.ts';
import { pickTrajectories, subsetSplit, trajectoryCandidates } from './trajectories.ts';
import { EVAL_FLUSH_SECONDS, openEvalProgress, saveEvalProgress } from './evaluate-batches.ts';

export function predictionColumns(seqLen: number): ColumnSpec[] {
  return [
    { name: 'index', kind: 'int32' },
    { name: 'group_index', kind: 'int32' },
    { name: 'puzzle_identifier', kind: 'int32' },
    { name: 'inputs', kind: { fixedU8: seqLen } },
    { name: 'labels', kind: { fixedU8: seqLen } },
    { name: 'preds', kind: { fixedU8: seqLen } },
    { name: 'q_halt', kind: 'float32' },
    { name: 'steps', kind: 'int32' },
    { name: 'correct', kind: 'bool' },
  ];
}

export function trajectoryColumns(seqLen: number): ColumnSpec[] {
  return [
    { name: 'index', kind: 'int32' },
    { name: 'step', kind: 'int32' },
    { name: 'preds', kind: { fixedU8: seqLen } },
  ];
}

/** Worker threads of the evaluate stage: runtime.workers capped at the rows of a test batch. */
export function evaluateWorkers(config: ResolvedConfig, backend: string): WorkerPlan {
  return planWorkers(config.runtime.workers, config.evaluate.batch_size, 'evaluate.batch_size', backend);
}

/**
 * Runs `use` on a model built in this thread, or data-parallel on `plan.workers` threads of `backend`; the model is
 * freed (its worker threads closed) when `use` ends, whether it returns or throws.
 */
export async function withEvalModel<T>(arch: ArchConfig, seed: number, plan: WorkerPlan, backend: string, use: (model: TrmModel) => Promise<T>): Promise<T> {
  if (plan.workers === 0) {
    const model = createModel(arch, seed);
    try {
      return await use(model);
    } finally {
      model.dispose();
    }
  }
  const model = await createDataParallelModel(arch, seed, { workers: plan.workers, backend: backend as BackendName });
  try {
    return await use(model);
  } finally {
    await model.close();
  }
}

/**
 * An empty test split (train-only data: no test files, a reference folder without test/, test_size 0) is evaluated
 * as empty: empty tables and a metrics.json with count 0 and null metrics, which the report shows as "not evaluated".
 */
function emptyEvaluation(seqLen: number, metadata: Record<string, string>): StageOutputs {
  log(`evaluate: the test split is empty (train-only data): nothing to evaluate; ${catalogEntry('evaluate.metrics').path} records count 0`);
  const metrics = { count: 0, exact_accuracy: null, token_accuracy: null, q_halt_accuracy: null, mean_steps: null, accuracy_per_step: [], exact_accuracy_per_step: [] };
  return {
    outputs: {
      'evaluate.predictions': table(predictionColumns(seqLen), [], metadata),
      'evaluate.trajectories': table(trajectoryColumns(seqLen), [], metadata),
      'evaluate.metrics': json(metrics),
    },
    run: { exact_accuracy: null, examples: 0, workers: 0 },
  };
}

export async function runEvaluate(ctx: StageContext): Promise<StageResult> {
  let finished: string | null = null;
  const result = await runCatalogStage(ctx, 'evaluate', async (inputs, { key, checkpoints }) => {
    const backend = key.backend!;
    const lib = ctx.dataset.lib;
    const partial = checkpoints('evaluate.batches');
    const { split, meta } = await encodedSplit(inputs.table('encode.test'));
    const { arch, seed } = inputs.json<{ arch: ArchConfig; seed: number }>('train.state_meta');
    const weights = (await inputs.safetensors('train.model').read()).tensors;
    const N = split.puzzleIdentifiers.length;
    const S = split.seqLen;
    const T = arch.halt_max_steps;
    const batchSize = ctx.config.evaluate.batch_size;
    const metadata = { 'trm.dataset': JSON.stringify(meta), 'trm.encode': JSON.stringify(ctx.config.encode) };
    if (N === 0) return emptyEvaluation(S, metadata);
    const totalBatches = Math.ceil(N / batchSize);
    const plan = evaluateWorkers(ctx.config, backend.name);
    const { store, done } = openEvalProgress(ctx, partial, key, T, S, log);
    const info = { key, totalExamples: N, totalBatches };
    log(`evaluate: ${N} test examples in batches of ${batchSize}, ${T} supervision steps each, on ${backend.name}${backend.precision ? ' in bfloat16' : ''}, ${describeWorkers(plan)}${plan.notes.map((n) => `; ${n}`).join('')}`);
    if (done.length) log(`evaluate: resuming after ${done.length} of ${totalBatches} batches (${store.dir})`);
    const res = await withEvalModel(arch, seed, plan, backend.name, async (model) => {
      model.loadStateDict(weights);
      const bar = createProgress('evaluate', N);
      const doneRows = done.reduce((n, b) => n + b.count, 0);
      bar.tick(doneRows);
      let seen = doneRows;
      let flushed = Date.now();
      await stoppable(async () => {
        for (const b of evaluateBatches(model, split, { batchSize, trajectoryExamples: 0, fromBatch: done.length, onProgress: (d) => { bar.tick(d - seen); seen = d; } })) {
          done.push(b);
          if (Date.now() - flushed > EVAL_FLUSH_SECONDS * 1000 && done.length < totalBatches) {
            saveEvalProgress(store, done, info, T, S);
            flushed = Date.now();
          }
          await new Promise((r) => setImmediate(r)); // let signals in
          const stop = stopRequested();
          if (stop && done.length < totalBatches) {
            saveEvalProgress(store, done, info, T, S);
            bar.done();
            throw new StoppedError(stop, `evaluate: stopped by ${stop} after ${done.length} of ${totalBatches} batches; they are saved in ${store.dir}; rerun the same command to resume`);
          }
        }
      });
      const out = combineEvalBatches(split, T, 0, done);
      bar.done(`exact ${out.metrics.exact_accuracy.toFixed(4)}`);
      // per-step predictions of the most telling examples: a small second evaluation of a few candidates
      const K = ctx.config.evaluate.trajectory_examples;
      const candidates = K > 0 ? trajectoryCandidates(out.correct, K) : [];
      if (!candidates.length) return { ...out, kept: [] as { index: number; steps: Uint8Array[] }[] };
      const again = evaluateModel(model, subsetSplit(split, candidates), { batchSize, trajectoryExamples: candidates.length });
      const same = candidates.filter((index, j) => again.preds.subarray(j * S, (j + 1) * S).every((v, i) => v === out.preds[index * S + i]));
      if (same.length < candidates.length) log(`evaluate: ${candidates.length - same.length} of ${candidates.length} trajectory candidates ended differently when evaluated again; left out`);
      const steps = same.map((index) => again.trajectory[candidates.indexOf(index)]);
      const picked = pickTrajectories(same, steps, (i) => split.labels.subarray(i * S, (i + 1) * S), split.ignoreLabelId, K);
      return { ...out, kept: picked.map(({ index }) => ({ index, steps: steps[same.indexOf(index)] })) };
    });

    const at = (a: Uint8Array, i: number) => a.slice(i * S, (i + 1) * S);
    const preds: ExamplePrediction[] = [];
    const rows: Row[] = [];
    for (let i = 0; i < N; i++) {
      const p: ExamplePrediction = { index: i, group: split.groupIndex[i], puzzleIdentifier: split.puzzleIdentifiers[i], inputs: at(split.inputs, i), labels: at(split.labels, i), preds: at(res.preds, i), qHalt: res.qHalt[i] };
      preds.push(p);
      rows.push({ index: i, group_index: p.group, puzzle_identifier: p.puzzleIdentifier, inputs: p.inputs, labels: p.labels, preds: p.preds, q_halt: p.qHalt, steps: res.steps[i], correct: res.correct[i] === 1 });
    }
    const traj: Row[] = res.kept.flatMap(({ index, steps }) => steps.map((p, j) => ({ index, step: j + 1, preds: p })));

    const task = lib.evaluate(preds, ctx.config.evaluate, inputs.optionalJson('encode.aux'));
    finished = partial;
    return {
      outputs: {
        'evaluate.predictions': table(predictionColumns(S), rows, metadata),
        'evaluate.trajectories': table(trajectoryColumns(S), traj, metadata),
        'evaluate.metrics': json({ ...res.metrics, ...task.metrics }),
        // the dataset's own files (ARC: submission.json); the catalog refuses a name of the stage's other files
        'evaluate.task_files': task.files ? files(task.files as Record<string, string | object>) : undefined,
      },
      run: { exact_accuracy: res.metrics.exact_accuracy, examples: N, workers: plan.workers },
    };
  });
  // the finished batches of this evaluation, now written as the stage folder
  const done = finished as string | null;
  if (!result.skipped && done) fs.rmSync(done, { recursive: true, force: true });
  return result;
}
