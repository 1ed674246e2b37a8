// train: runs the engine's Trainer over the encoded train split. Checkpoints (atomic) go to
// artifacts/<config>/train.partial/ every `train.checkpoint_every` steps, on Ctrl-C/SIGTERM and at the end;
// a rerun resumes from the last one. The finished stage folder holds model.safetensors (EMA weights when
// `ema`), state.safetensors + state.json (to continue training) and metrics.arrow (one row per step).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createTrainer, type ArchConfig, type TrainConfig, type TrainerState, type TrainStepMetrics } from '@trm/trm';
import { createParallelTrainer } from '@trm/trm-parallel';
import { decodeSafetensors, encodeSafetensors } from '@trm/tensor-core';
import type { BackendName } from '@trm/tensor-node';
import { writeArrowFile, type ColumnSpec } from '../artifacts/arrow-table.ts';
import { canonicalJson } from '../artifacts/hash.ts';
import { writeFileAtomic } from '../artifacts/stage-writer.ts';
import { createProgress, log } from '../io/progress.ts';
import type { ResolvedConfig } from '../config/load.ts';
import { describeWorkers, planWorkers, type WorkerPlan } from '../config/workers.ts';
import { runStage, upstream, type StageContext, type StageResult } from './context.ts';
import { selectBackend } from './backend.ts';
import { loadEncodedSplit } from './encoded-split.ts';
import type { DatasetMetadata } from './encode.ts';
import { flopsPerStep, formatFlops } from './flops.ts';

export const metricColumns: ColumnSpec[] = [
  { name: 'step', kind: 'int32' },
  { name: 'epoch', kind: 'int32' },
  ...['lr', 'lm_loss', 'q_halt_loss', 'loss', 'accuracy', 'exact_accuracy', 'q_halt_accuracy', 'steps'].map((name): ColumnSpec => ({ name, kind: 'float64' })),
  { name: 'count', kind: 'int32' },
];

type MetricRow = Omit<TrainStepMetrics, 'sums'>;

export function archConfig(config: ResolvedConfig, meta: Pick<DatasetMetadata, 'seq_len' | 'vocab_size' | 'num_puzzle_identifiers'>): ArchConfig {
  return { ...config.arch, seq_len: meta.seq_len, vocab_size: meta.vocab_size, num_puzzle_identifiers: meta.num_puzzle_identifiers };
}

export function trainConfig(config: ResolvedConfig): TrainConfig {
  const { max_steps: _m, checkpoint_every: _c, ...rest } = config.train;
  return rest;
}

/**
 * Worker threads of the train stage: runtime.workers capped at the rows of a global batch (the workers split the
 * batch; with train.micro_batch_size each one runs its slice in micro-batches).
 */
export function trainWorkers(config: ResolvedConfig, backend: string): WorkerPlan {
  return planWorkers(config.runtime.workers, config.train.global_batch_size, 'train.global_batch_size', backend);
}

interface Checkpoint { step: number; state: TrainerState; metrics: MetricRow[] }

function readCheckpoint(dir: string, keyText: string): Checkpoint | null {
  const latest = path.join(dir, 'latest.json');
  if (!fs.existsSync(latest) || !fs.existsSync(path.join(dir, 'key.json'))) return null;
  if (fs.readFileSync(path.join(dir, 'key.json'), 'utf8') !== keyText) {
    log(`train: ${dir} was made from other inputs (config, data, code or backend changed); starting over`);
    return null;
  }
  const { step } = JSON.parse(fs.readFileSync(latest, 'utf8')) as { step: number };
  const bytes = new Uint8Array(fs.readFileSync(path.join(dir, `state-${step}.safetensors`)));
  const meta = JSON.parse(fs.readFileSync(path.join(dir, `state-${step}.json`), 'utf8'));
  const metrics = JSON.parse(fs.readFileSync(path.join(dir, `metrics-${step}.json`), 'utf8')) as MetricRow[];
  return { step, state: { tensors: decodeSafetensors(bytes, `state-${step}.safetensors`).tensors, meta }, metrics };
}

function writeCheckpoint(dir: string, step: number, state: TrainerState, metrics: MetricRow[]): void {
  writeFileAtomic(path.join(dir, `state-${step}.safetensors`), encodeSafetensors(state.tensors));
  writeFileAtomic(path.join(dir, `state-${step}.json`), JSON.stringify(state.meta) + '\n');
  writeFileAtomic(path.join(dir, `metrics-${step}.json`), JSON.stringify(metrics) + '\n');
  const prev = fs.existsSync(path.join(dir, 'latest.json')) ? (JSON.parse(fs.readFileSync(path.join(dir, 'latest.json'), 'utf8')) as { step: number }).step : null;
  writeFileAtomic(path.join(dir, 'latest.json'), JSON.stringify({ step }) + '\n');
  if (prev !== null && prev !== step) for (const f of [`state-${prev}.safetensors`, `state-${prev}.json`, `metrics-${prev}.json`]) fs.rmSync(path.join(dir, f), { force: true });
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

export async function runTrain(ctx: StageContext): Promise<StageResult> {
  if (ctx.config.runtime.engine === 'reference') return (await import('../reference/train-reference.ts')).runReferenceTrain(ctx);
  return runStage(ctx, 'train', async (tmp, key) => {
    const backendKey = await selectBackend(ctx.config);
    const enc = await upstream(ctx, 'encode');
    const { split, meta } = await loadEncodedSplit(path.join(enc.dir, 'train.arrow'));
    if (split.puzzleIdentifiers.length === 0) {
      throw new Error(`train: the train split is empty (fetch gave no train puzzles: see the fetch section of ${ctx.config.file}); there is nothing to train on`);
    }
    const arch = archConfig(ctx.config, meta);
    const train = trainConfig(ctx.config);
    const partial = path.join(path.dirname(enc.dir), 'train.partial');
    fs.mkdirSync(partial, { recursive: true });
    const keyText = canonicalJson(key);
    const resume = readCheckpoint(partial, keyText);
    writeFileAtomic(path.join(partial, 'key.json'), keyText);

    const backend = backendKey.name;
    const plan = trainWorkers(ctx.config, backend);
    log(`train: on ${backend}${backendKey.gemm ? ` (matmul kernel: ${backendKey.gemm})` : ''}, ${describeWorkers(plan)}${plan.notes.map((n) => `; ${n}`).join('')}`);
    const options = { arch, train, data: split, seed: ctx.config.seed, resume: resume?.state };
    const trainer = plan.workers > 0
      ? await createParallelTrainer({ ...options, workers: plan.workers, backend: backend as BackendName })
      : createTrainer(options);
    const metrics: MetricRow[] = resume ? resume.metrics.slice(0, resume.step) : [];
    const maxSteps = ctx.config.train.max_steps;
    const total = maxSteps > 0 ? Math.min(maxSteps, trainer.totalSteps) : trainer.totalSteps;
    const every = ctx.config.train.checkpoint_every;
    const flops = flopsPerStep(arch, train.global_batch_size);
    const params = trainer.model.parameterCount();
    log(`train: ${params.model.toLocaleString()} parameters (+${params.puzzleEmb.toLocaleString()} puzzle embedding), ${total} steps of batch ${train.global_batch_size}${train.micro_batch_size ? ` in micro-batches of ${train.micro_batch_size}` : ''}; ~${formatFlops(flops)} per step, ~${formatFlops(flops * total)} in all`);
    const warning = gpuWarning(ctx.config, ctx.root, backend, flops * total);
    if (warning) log(warning);
    if (resume) log(`train: resuming from the checkpoint at step ${resume.step} in ${partial}`);

    let stop: string | null = null;
    const onSignal = (sig: string) => { stop = sig; };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    const bar = createProgress('train', total, { unit: 'steps' });
    bar.tick(trainer.stepCount);
    const started = Date.now();
    try {
      while (trainer.stepCount < total) {
        let m: TrainStepMetrics;
        try {
          m = trainer.step();
        } catch (e) {
          const last = fs.existsSync(path.join(partial, 'latest.json')) ? `; the last good checkpoint is kept in ${partial}` : '';
          throw new Error(`${(e as Error).message}${last}; try a lower lr (train.lr) or a smaller model`);
        }
        const { sums: _s, ...row } = m;
        metrics.push(row);
        bar.tick(1, `loss ${m.loss.toFixed(4)} acc ${m.accuracy.toFixed(3)} exact ${m.exact_accuracy.toFixed(3)}`);
        if (every > 0 && trainer.stepCount % every === 0 && trainer.stepCount < total) writeCheckpoint(partial, trainer.stepCount, trainer.state(), metrics);
        await new Promise((r) => setImmediate(r)); // let signals in
        if (stop) {
          writeCheckpoint(partial, trainer.stepCount, trainer.state(), metrics);
          bar.done();
          throw new Error(`train: stopped by ${stop} at step ${trainer.stepCount}/${total}; checkpoint saved in ${partial}; rerun the same command to resume`);
        }
      }
      bar.done();
      const state = trainer.state();
      writeCheckpoint(partial, trainer.stepCount, state, metrics);
      fs.writeFileSync(path.join(tmp, 'model.safetensors'), encodeSafetensors(trainer.weightsForEval(), { format: 'pt', config: canonicalJson(arch) }));
      fs.writeFileSync(path.join(tmp, 'state.safetensors'), encodeSafetensors(state.tensors));
      fs.writeFileSync(path.join(tmp, 'state.json'), JSON.stringify({ ...state.meta, arch, train }, null, 2) + '\n');
      await writeArrowFile(path.join(tmp, 'metrics.arrow'), metricColumns, metrics as unknown as Record<string, number>[]);
      return { steps: trainer.stepCount, resumedFrom: resume?.step ?? 0, workers: plan.workers, secondsTraining: (Date.now() - started) / 1000 };
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      trainer.dispose();
    }
  }).then((r) => {
    if (!r.skipped) fs.rmSync(path.join(path.dirname(r.dir), 'train.partial'), { recursive: true, force: true });
    return r;
  });
}
