// train: runs the engine's Trainer over the encoded train split. Verified checkpoints go to
// artifacts/<config>/train.partial/<run id>/step-<N>/ every `train.checkpoint_every` steps, on a stop
// (SIGINT/SIGTERM/SIGHUP) and at the end; a rerun resumes by the policy of train-runs.ts. The finished stage folder
// holds model.safetensors (EMA weights when `ema`), state.safetensors + state.json (to continue training) and
// metrics.arrow (one row per step). With train.eval_interval the run evaluates the test split as it goes
// (train-watch.ts): each evaluation is a checkpoint with a model file (usable while training runs: trm solve/evaluate
// --checkpoint, trm report), a row of evals.arrow, and the test for train.early_stop; train.final_model = best
// publishes the best evaluation's model.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTrainer, indexSplit, totalTrainSteps, type ArchConfig, type EncodedSplit, type SplitIndex, type Trainer, type TrainConfig, type TrainStepMetrics } from '@trm/trm';
import { createParallelTrainer } from '@trm/trm-parallel';
import type { AuxArtifacts } from '@trm/dataset';
import type { BackendName } from '@trm/tensor-node';
import type { ColumnSpec, Row } from '../artifacts/arrow-table.ts';
import { canonicalJson } from '../artifacts/hash.ts';
import { CHECKPOINT_FILES, checkpointFiles, TrainRuns } from '../catalog/checkpoints.ts';
import { catalogEntry, entryName } from '../catalog/entries.mjs';
import { json, openInputs, runCatalogStage, safetensors, safetensorsBytes, table, type Output, type TableOutput } from '../catalog/index.ts';
import type { CheckpointStore } from '../io/checkpoint-store.ts';
import { log } from '../io/progress.ts';
import { stoppable, stopRequested, StoppedError } from '../run/signals.ts';
import type { ResolvedConfig } from '../config/load.ts';
import { archProblems } from '../config/check.ts';
import { engineTrainPart } from '../config/sections.ts';
import { invalidConfig } from '../config/validate.ts';
import { describeWorkers, planWorkers, type WorkerPlan } from '../config/workers.ts';
import { stageDeclaration } from './declarations.mjs';
import { stageKey, type StageContext, type StageResult } from './context.ts';
import { encodedSplit } from './encoded-split.ts';
import type { DatasetMetadata } from './encode.ts';
import { flopsPerStep, formatFlops } from './flops.ts';
import { decideResume, runId, runMeaning, type MetricRow, type Resumable, type RunImplementation, type RunMeaning, type TrainRunInfo } from './train-runs.ts';
import { intervalColumns, intervalTableRows, taskNames, type IntervalEval } from './interval-evals.ts';
import { checkpointModel, TrainWatch } from './train-watch.ts';

export const metricColumns: ColumnSpec[] = [
  { name: 'step', kind: 'int32' },
  { name: 'epoch', kind: 'int32' },
  ...['lr', 'lm_loss', 'q_halt_loss', 'loss', 'accuracy', 'exact_accuracy', 'q_halt_accuracy', 'steps'].map((name): ColumnSpec => ({ name, kind: 'float64' })),
  { name: 'count', kind: 'int32' },
];

export function archConfig(config: ResolvedConfig, meta: Pick<DatasetMetadata, 'seq_len' | 'vocab_size' | 'num_puzzle_identifiers'>): ArchConfig {
  return { ...config.arch, seq_len: meta.seq_len, vocab_size: meta.vocab_size, num_puzzle_identifiers: meta.num_puzzle_identifiers };
}

export function trainConfig(config: ResolvedConfig): TrainConfig {
  return engineTrainPart(config.train) as unknown as TrainConfig;
}

/**
 * Worker threads of the train stage: runtime.workers capped at the rows of a global batch (the workers split the
 * batch; with train.micro_batch_size each one runs its slice in micro-batches).
 */
export function trainWorkers(config: ResolvedConfig, backend: string): WorkerPlan {
  return planWorkers(config.runtime.workers, config.train.global_batch_size, 'train.global_batch_size', backend);
}

/** Above this many FLOPs a run is GPU-sized: over 12 h even at ~225 GFLOP/s, the practical fp32 peak of 2 CPU cores. */
export const GPU_SIZED_FLOPS = 1e16;

/** The warning printed when a GPU-sized run is about to start on a CPU backend (cpu, wasm), or null. */
export function gpuWarning(config: ResolvedConfig, root: string, backend: string, totalFlops: number): string | null {
  if (backend === 'tensorflow' || totalFlops < GPU_SIZED_FLOPS) return null;
  const smaller = [`${config.dataset}-quick`, `${config.dataset}-home`, `${config.dataset}-tiny`].find((c) => c !== config.name && fs.existsSync(path.join(root, 'configs', `${c}.json`)));
  const hint = smaller ? `try --config ${smaller}` : 'try a smaller config (see `trm configs`)';
  return `train: WARNING: ${config.name} needs ~${formatFlops(totalFlops)}, a GPU-sized run, but the backend is ${backend} (CPU); ${hint}, or train on GPUs with the reference implementation (--set runtime.engine=reference; README, "Training on GPUs")`;
}

/**
 * This config's run as the train stage would start it now, from the encode stage present: its id, meaning and
 * implementation (for `trm status`). Throws when encode cannot be read.
 */
export async function plannedRun(ctx: StageContext): Promise<{ id: string; meaning: RunMeaning; implementation: RunImplementation }> {
  const inputs = openInputs(ctx, stageDeclaration('train'));
  const metadata = await inputs.table('encode.train').metadata();
  const arch = archConfig(ctx.config, JSON.parse(metadata['trm.dataset'] ?? '{}') as DatasetMetadata);
  const meaning = runMeaning(ctx.config, arch, inputs.sha256('encode.train'));
  const key = await stageKey(ctx, 'train');
  const plan = trainWorkers(ctx.config, key.backend!.name);
  return { id: runId(meaning), meaning, implementation: { code: key.code, backend: key.backend, workers: plan.workers, micro_batch_size: (ctx.config.train.micro_batch_size as number | undefined) ?? 0 } };
}

/** The engine's divergence message without its "the weights of step N are kept" (they live only in memory). */
function divergence(e: Error): string {
  return e.message.replace(/;\s*the weights of step \d+ are kept\.?$/, '');
}

export async function runTrain(ctx: StageContext): Promise<StageResult> {
  if (ctx.config.runtime.engine === 'reference') return (await import('../reference/train-reference.ts')).runReferenceTrain(ctx);
  let finishedRun: { runs: TrainRuns; id: string } | null = null;
  const result = await runCatalogStage(ctx, 'train', async (inputs, { key, notes, dir, checkpoints }) => {
    const runs = new TrainRuns(checkpoints('train.checkpoints'), log);
    const { split, meta } = await encodedSplit(inputs.table('encode.train'));
    if (split.puzzleIdentifiers.length === 0) {
      throw new Error(`train: the train split is empty (fetch gave no train puzzles: see the fetch section of ${ctx.config.file}); there is nothing to train on`);
    }
    const arch = archConfig(ctx.config, meta);
    const train = trainConfig(ctx.config);
    const index = checkTrainData(ctx.config, arch, train, split);
    const backendKey = key.backend!;
    const backend = backendKey.name;
    const plan = trainWorkers(ctx.config, backend);
    const meaning = runMeaning(ctx.config, arch, inputs.sha256('encode.train'));
    const id = runId(meaning);
    const implementation: RunImplementation = { code: key.code, backend: key.backend, workers: plan.workers, micro_batch_size: train.micro_batch_size ?? 0 };
    const maxSteps = ctx.config.train.max_steps;
    const every = ctx.config.train.checkpoint_every;
    const schedule = totalTrainSteps(train, index.numGroups, index.meanPuzzleExamples);
    const total = maxSteps > 0 ? Math.min(maxSteps, schedule) : schedule;
    const totalWhy = maxSteps > 0 && maxSteps < schedule ? `train.max_steps = ${maxSteps}` : `${schedule} steps: ${train.epochs} epochs of ${index.numGroups} groups, batch ${train.global_batch_size}`;
    const settings = { max_steps: maxSteps, checkpoint_every: every };
    runs.importLegacy(key, id, (code, backendKey) => ({ id, meaning, implementation: { ...implementation, code, backend: backendKey }, settings, history: { origin: null, implementations: [] } }));
    const decision = await decideResume({
      runs, config: ctx.config.name, id, meaning, implementation, target: total, targetWhy: totalWhy,
      finishedDir: dir, force: !!ctx.force,
      restart: !!ctx.resume?.restart, strict: !!ctx.resume?.strict, from: ctx.resume?.from,
      current: { data: meaning.data, encodeHash: key.inputs.encode },
    });
    const resume = decision.resume;
    const info = (): TrainRunInfo => ({ id, meaning, implementation, settings, history: decision.history });
    const store = runs.store(id, ctx.config.train.keep_checkpoints as number);
    let watch: TrainWatch | null = null;
    /** a checkpoint: the trainer state, the metrics and evaluations so far, the model file (and why it stopped) */
    const save = (trainer: Trainer, metrics: MetricRow[], stopped?: string) => {
      const epoch = epochOf(trainer.stepCount);
      store.write(trainer.stepCount, checkpointFiles(trainer.state(), metrics, { evals: watch?.rows ?? [], model: checkpointModel(trainer, arch, epoch), stopped }), info());
    };
    const epochOf = (step: number) => (step * train.global_batch_size) / (index.numGroups * index.meanPuzzleExamples);

    log(`train: on ${backend}${backendKey.gemm ? ` (matmul kernel: ${backendKey.gemm})` : ''}, in ${backendKey.precision ? `bfloat16 (kernel ${backendKey.precision.split(' ')[1]})` : 'float32'}, ${describeWorkers(plan)}${plan.notes.map((n) => `; ${n}`).join('')}`);
    const options = { arch, train, data: split, seed: ctx.config.seed, resume: resume?.state };
    const trainer = plan.workers > 0
      ? await createParallelTrainer({ ...options, workers: plan.workers, backend: backend as BackendName })
      : createTrainer(options);
    const metrics: MetricRow[] = resume ? resume.metrics.slice(0, resume.step) : [];
    const flops = flopsPerStep(arch, train.global_batch_size);
    const params = trainer.model.parameterCount();
    log(`train: ${params.model.toLocaleString()} parameters (+${params.puzzleEmb.toLocaleString()} puzzle embedding), ${total} steps of batch ${train.global_batch_size}${train.micro_batch_size ? ` in micro-batches of ${train.micro_batch_size}` : ''}; ~${formatFlops(flops)} per step, ~${formatFlops(flops * total)} in all`);
    const warning = gpuWarning(ctx.config, ctx.root, backend, flops * total);
    if (warning) log(warning);
    if (resume) log(`train: resuming from step ${resume.step} (${resume.where}); ${store.dir} holds this run's checkpoints`);
    else log(`train: from scratch; checkpoints go to ${store.dir}${every > 0 ? ` every ${every} steps` : ' (train.checkpoint_every = 0: only on a stop and at the end)'}`);

    const started = Date.now();
    let status: 'finished' | 'stopped' | 'early_stop' | 'failed' = 'failed';
    let reason: string | null = null;
    try {
      const test = async () => (await encodedSplit(inputs.table('encode.test'))).split;
      watch = await TrainWatch.start({ ctx, trainer, arch, index, total, test, aux: () => inputs.optionalJson<AuxArtifacts>('encode.aux'), best: runs.best(id), runId: id, previous: resume?.evals ?? [] });
      let early: string | null = null;
      await stoppable(async () => {
        while (trainer.stepCount < total) {
          let m: TrainStepMetrics;
          try {
            m = trainer.step();
          } catch (e) {
            watch!.closeView();
            reason = divergence(e as Error);
            throw new Error(`train: ${reason}. ${keptAfterDivergence(ctx.config, store, resume, every)}`);
          }
          const { sums: _s, ...row } = m;
          metrics.push(row);
          watch!.step(m);
          const evaluated = watch!.evaluateIfDue();
          early = evaluated ? watch!.stopReason() : null;
          if (early) break;
          if ((evaluated || (every > 0 && trainer.stepCount % every === 0)) && trainer.stepCount < total) save(trainer, metrics);
          await new Promise((r) => setImmediate(r)); // let signals in
          const stop = stopRequested();
          if (stop) {
            save(trainer, metrics, stop);
            watch!.closeView();
            log(`train: the checkpoint's ${CHECKPOINT_FILES.model} works with trm solve/evaluate --checkpoint, and trm report --config ${ctx.config.name} reports it`);
            status = 'stopped';
            reason = stop;
            throw new StoppedError(stop, `train: stopped by ${stop} at step ${trainer.stepCount}/${total}; checkpoint saved in ${path.join(store.dir, `step-${trainer.stepCount}`)}; rerun the same command to resume`);
          }
        }
      });
      watch.closeView();
      if (early) log(`train: ${early}; stopped at step ${trainer.stepCount} of ${total}`);
      const state = trainer.state();
      save(trainer, metrics);
      const best = watch.bestModel();
      if (best) log(`train: ${catalogEntry('train.model').path} holds the best evaluation's model, step ${best.step} (train.final_model = best)`);
      const outputs: Record<string, Output | undefined> = {
        'train.model': best ? safetensorsBytes(best.bytes) : safetensors(trainer.weightsForEval(), { format: 'pt', config: canonicalJson(arch) }),
        'train.state': safetensors(state.tensors),
        'train.state_meta': json({ ...state.meta, arch, train, run: info() }),
        'train.metrics': table(metricColumns, metrics as unknown as Row[]),
        'train.evals': watch.rows.length ? evalsTable(watch.rows, arch.halt_max_steps) : undefined,
      };
      if (decision.history.origin || decision.history.implementations.length) notes.history = decision.history;
      finishedRun = { runs, id };
      status = early ? 'early_stop' : 'finished';
      reason = early;
      const ended = early ? { stoppedEarly: early, model: best ? { kind: 'best', step: best.step } : { kind: 'last', step: trainer.stepCount } } : best ? { model: { kind: 'best', step: best.step } } : {};
      return { outputs, run: { steps: trainer.stepCount, resumedFrom: resume?.step ?? 0, resumedFromPath: resume?.where ?? null, workers: plan.workers, secondsTraining: (Date.now() - started) / 1000, ...ended } };
    } catch (e) {
      if (status === 'failed' && !reason) reason = (e as Error).message;
      throw e;
    } finally {
      await watch?.end(status, reason);
      trainer.dispose();
    }
  });
  const done = finishedRun as { runs: TrainRuns; id: string } | null;
  if (!result.skipped && done) done.runs.finish(done.id);
  return result;
}

/** What a divergence leaves: the newest checkpoint of this run (and how to continue it), the state it resumed, or nothing. */
function keptAfterDivergence(config: ResolvedConfig, store: CheckpointStore<TrainRunInfo>, resume: Resumable | null, every: number): string {
  const last = store.list().filter((e) => e.record).at(-1);
  const lower = `--set train.lr=${config.train.lr / 2}`;
  if (last) return `The last checkpoint, step ${last.step}, is kept in ${last.dir}; to continue it with a lower lr: \`trm train --config ${config.name} ${lower} --resume-from ${last.dir}\` (or try a smaller model)`;
  if (resume) return `No checkpoint was written since this run resumed ${resume.where} (step ${resume.step}), which is unchanged; to continue it with a lower lr: \`trm train --config ${config.name} ${lower} --resume-from ${resume.where}\``;
  return `Nothing was saved: the divergence came before the first checkpoint (train.checkpoint_every = ${every}); try a lower lr (${lower}) or a smaller model`;
}

/**
 * Checks the config against the encoded train data before anything is written: the arch (heads dividing the hidden
 * size, ...) with the data's dims, and that one epoch fills at least one batch and the schedule has steps.
 */
export function checkTrainData(config: ResolvedConfig, arch: ArchConfig, train: TrainConfig, split: EncodedSplit): SplitIndex {
  const index = indexSplit(split, entryName('encode.train'));
  const errors = [...archProblems(arch)];
  const perEpoch = index.numGroups * index.meanPuzzleExamples;
  if (perEpoch < train.global_batch_size) errors.push(`train.global_batch_size = ${train.global_batch_size}: one epoch of the train split has only about ${Math.floor(perEpoch)} examples (${index.numGroups} groups, ${index.meanPuzzleExamples.toFixed(2)} examples per puzzle); use at most that many`);
  else if (totalTrainSteps(train, index.numGroups, index.meanPuzzleExamples) < 1) errors.push(`train.epochs = ${train.epochs}: ${train.epochs} epochs of ${index.numGroups} groups make no full batch of ${train.global_batch_size}; raise train.epochs`);
  if (errors.length) throw invalidConfig(config.file, errors);
  return index;
}

/** The evaluations during training as the train artifact's table (catalog entry train.evals). */
export function evalsTable(rows: readonly IntervalEval[], haltMaxSteps: number): TableOutput {
  const names = taskNames(rows);
  return table(intervalColumns(haltMaxSteps, names), intervalTableRows(rows, names));
}
