// The resume policy of the train stage: which checkpoint a run may continue, and what it says.
//
// What the train key covers falls into three kinds:
//   harmless        train.max_steps, train.checkpoint_every, and what evaluation during training, early stopping and
//                   the kept checkpoints do (train.eval_interval, ...; they never change a step): never stand in the
//                   way of a checkpoint;
//   implementation  the code, the backend and its matmul kernel, runtime.workers, train.micro_batch_size: results
//                   differ only in the last bits, so a run resumes, says so in one line and records it in the train
//                   manifest's `history` (not bit-reproducible from scratch); `--strict` refuses instead;
//   meaning         seed, arch, the rest of train, the training data (sha256 of encode/train.arrow): a run never
//                   continues a checkpoint of another meaning, and deletes nothing either.
// Each meaning has its own folder, artifacts/<config>/train.partial/<run id>/ (the id: 12 hex digits of the meaning's
// hash), holding a CheckpointStore; so a changed lr starts a new folder and the old one is kept as it was, listed
// with exactly what changed. `--restart` discards the current meaning's checkpoints, `--resume-from` continues
// another meaning's checkpoint (weights and optimizer state) under this config. A finished train stage is a
// checkpoint too: raising max_steps continues it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ArchConfig, TrainConfig, TrainerState, TrainStepMetrics } from '@trm/trm';
import { canonicalJson, sha256 } from '../artifacts/hash.ts';
import { checkpointFiles, checkpointKind, openFinishedTrain, readCheckpoint, type TrainRuns } from '../catalog/checkpoints.ts';
import { entryName } from '../catalog/entries.mjs';
import { CheckpointStore, type OpenedCheckpoint } from '../io/checkpoint-store.ts';
import type { ResolvedConfig } from '../config/load.ts';
import { intervalRowsFromTable, type IntervalEval } from './interval-evals.ts';

export type MetricRow = Omit<TrainStepMetrics, 'sums'>;

/** train.* keys that never stand in the way of a checkpoint */
export const HARMLESS_TRAIN_KEYS = ['max_steps', 'checkpoint_every', 'eval_interval', 'min_eval_interval', 'keep_checkpoints', 'early_stop', 'early_stop_metric', 'final_model'] as const;
/** train.* keys that change results only in the last bits */
export const IMPLEMENTATION_TRAIN_KEYS = ['micro_batch_size'] as const;
/** what --resume-from needs equal: the weights' shapes, the seed, the data and its batching, the EMA's presence */
const RESUME_FROM_FIXED = ['seed', 'arch.', 'data', 'train.global_batch_size', 'train.ema'];

export interface RunMeaning {
  seed: number;
  /** the model's arch, data dims included */
  arch: ArchConfig;
  /** the train section without its harmless and implementation keys */
  train: Record<string, unknown>;
  /** sha256 of encode/train.arrow */
  data: string;
}

export interface RunImplementation {
  /** hash of the code the train stage runs */
  code: string;
  backend: { name: string; version: string; gemm?: string } | null;
  /** worker threads actually used */
  workers: number;
  micro_batch_size: number;
}

export interface RunHistory {
  /** set when the run continued another run's checkpoint (--resume-from) */
  origin: { checkpoint: string; step: number; changed: string[] } | null;
  /** earlier implementations, each with the step it trained up to (empty: one implementation throughout) */
  implementations: { untilStep: number; implementation: RunImplementation; changed: string[] }[];
}

/** What a checkpoint of the train stage records about its run (checkpoint.json `info`, state.json `run`). */
export interface TrainRunInfo {
  id: string;
  meaning: RunMeaning;
  implementation: RunImplementation;
  /** the harmless keys, for the record */
  settings: { max_steps: number; checkpoint_every: number };
  history: RunHistory;
}

export function runMeaning(config: ResolvedConfig, arch: ArchConfig, data: string): RunMeaning {
  const train = { ...config.train };
  for (const k of [...HARMLESS_TRAIN_KEYS, ...IMPLEMENTATION_TRAIN_KEYS]) delete train[k];
  return { seed: config.seed, arch, train, data };
}

export function runId(m: RunMeaning): string {
  return sha256(canonicalJson(m)).slice(0, 12);
}

function flatten(v: unknown, prefix: string, out: Record<string, unknown>): Record<string, unknown> {
  if (v && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  else out[prefix] = v;
  return out;
}

const show = (v: unknown) => (v === undefined ? '(unset)' : typeof v === 'string' ? v : JSON.stringify(v));

/** `train.lr: 0.001 -> 0.002`, one per changed key, in key order; the data as `data (encode/train.arrow): 1a2b… -> …` */
export function diffMeaning(before: RunMeaning, now: RunMeaning): string[] {
  const a = flatten({ seed: before.seed, arch: before.arch, train: before.train }, '', {});
  const b = flatten({ seed: now.seed, arch: now.arch, train: now.train }, '', {});
  const out = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort().filter((k) => canonicalJson(a[k]) !== canonicalJson(b[k])).map((k) => `${k}: ${show(a[k])} -> ${show(b[k])}`);
  if (before.data !== now.data) out.push(`data (sha256 of ${entryName('encode.train')}): ${before.data.slice(0, 12)}… -> ${now.data.slice(0, 12)}…`);
  return out;
}

const backendText = (b: RunImplementation['backend']) => (b ? `${b.name} ${b.version}${b.gemm ? ` (matmul ${b.gemm})` : ''}` : 'none');

/** `runtime.workers: 0 -> 2`, `code changed (a1b2c3d4e5f6 -> …)`, `backend: cpu 4.22.0 -> wasm 4.22.0 (matmul native …)` */
export function diffImplementation(before: RunImplementation, now: RunImplementation): string[] {
  const out: string[] = [];
  if (before.workers !== now.workers) out.push(`runtime.workers: ${before.workers} -> ${now.workers}`);
  if (before.micro_batch_size !== now.micro_batch_size) out.push(`train.micro_batch_size: ${before.micro_batch_size} -> ${now.micro_batch_size}`);
  if (canonicalJson(before.backend) !== canonicalJson(now.backend)) out.push(`backend: ${backendText(before.backend)} -> ${backendText(now.backend)}`);
  if (before.code !== now.code) out.push(`code changed (${before.code.slice(0, 12)} -> ${now.code.slice(0, 12)})`);
  return out;
}

/** The changes --resume-from cannot carry over (the weights' shapes, seed, data, batching, EMA on/off). */
export function resumeFromConflicts(changed: string[]): string[] {
  return changed.filter((c) => RESUME_FROM_FIXED.some((k) => c.startsWith(k.endsWith('.') ? k : `${k}:`) || (k === 'data' && c.startsWith('data '))));
}

/** A state the trainer can continue, wherever it came from. */
export interface Resumable {
  step: number;
  state: TrainerState;
  metrics: MetricRow[];
  info: TrainRunInfo;
  /** where it is, for messages */
  where: string;
  /** the evaluations during training up to its step (train.eval_interval) */
  evals: IntervalEval[];
}

export function resumableFromCheckpoint(c: OpenedCheckpoint<TrainRunInfo>): Resumable {
  const { meta, tensors, metrics, evals } = readCheckpoint(c);
  return { step: c.step, state: { tensors, meta }, metrics: metrics.slice(0, c.step), info: c.record.info, where: c.dir, evals: evals.filter((e) => e.step <= c.step) };
}

/** What the finished train stage holds, as a checkpoint of its run (null when it cannot be read as one). */
export async function resumableFromStage(dir: string, config: string, current: { data: string; encodeHash: string }): Promise<Resumable | null> {
  const finished = await openFinishedTrain(dir, config);
  if (!finished) return null;
  const manifest = finished.manifest;
  const { arch, train, run, ...meta } = finished.saved as unknown as TrainerState['meta'] & { arch: ArchConfig; train: TrainConfig; run?: TrainRunInfo };
  let info = run;
  if (!info) {
    // written before runs were recorded: its data is known only if encode is still what it trained on
    if (manifest.inputs.encode !== current.encodeHash) return null;
    const trainKeys = { ...(train as unknown as Record<string, unknown>) };
    const micro = (trainKeys.micro_batch_size as number | undefined) ?? 0;
    delete trainKeys.micro_batch_size;
    const meaning: RunMeaning = { seed: meta.seed, arch, train: trainKeys, data: current.data };
    const runJson = finished.runRecord() as { workers?: number };
    info = { id: runId(meaning), meaning, implementation: { code: manifest.code, backend: manifest.backend, workers: runJson.workers ?? 0, micro_batch_size: micro }, settings: { max_steps: meta.step, checkpoint_every: 0 }, history: { origin: null, implementations: [] } };
  }
  const { tensors, metrics, evals } = await finished.contents();
  return { step: meta.step, state: { tensors, meta: meta as TrainerState['meta'] }, metrics: metrics as unknown as MetricRow[], info, where: dir, evals: evals ? intervalRowsFromTable(evals.rows, evals.name) : [] };
}

/**
 * Opens what `--resume-from` names: a checkpoint folder (step-<N>), a run folder or run id (its newest good
 * checkpoint), or a finished train stage folder.
 */
export async function openResumeFrom(spec: string, runs: TrainRuns, config: string, current: { data: string; encodeHash: string }): Promise<Resumable> {
  const candidates = [path.resolve(spec), path.join(runs.root, spec)];
  const p = candidates.find((c) => fs.existsSync(c));
  if (!p) throw new Error(`--resume-from ${spec}: no such checkpoint (not a path, nor a run id in ${runs.root}); \`trm status --config ${config}\` lists the checkpoints`);
  const kind = checkpointKind(p);
  if (kind === 'checkpoint') {
    const m = /^step-(\d+)$/.exec(path.basename(p));
    if (!m) throw new Error(`--resume-from ${spec}: a checkpoint folder is named step-<N>`);
    const store = new CheckpointStore<TrainRunInfo>(path.dirname(p));
    try {
      return resumableFromCheckpoint(store.open(Number(m[1])));
    } catch (e) {
      throw new Error(`--resume-from ${spec}: ${(e as Error).message}; pick another checkpoint (\`trm status --config ${config}\` lists them)`);
    }
  }
  if (kind === 'stage') {
    const r = await resumableFromStage(p, config, current);
    if (!r) throw new Error(`--resume-from ${spec}: not a complete, verified train stage folder`);
    return r;
  }
  const c = new CheckpointStore<TrainRunInfo>(p, { log: (m) => runs.log(`train: ${m}`) }).latest();
  if (!c) throw new Error(`--resume-from ${spec}: no usable checkpoint in ${p}`);
  return resumableFromCheckpoint(c);
}

export interface ResumeDecision {
  /** what the trainer continues, or null: from scratch */
  resume: Resumable | null;
  history: RunHistory;
}

export interface DecideOptions {
  runs: TrainRuns;
  config: string;
  id: string;
  meaning: RunMeaning;
  implementation: RunImplementation;
  /** the step this run ends at, and how it came about (for messages) */
  target: number;
  targetWhy: string;
  /** the finished train stage folder (a checkpoint too), and whether --force asks to redo it */
  finishedDir: string;
  force: boolean;
  restart: boolean;
  strict: boolean;
  from?: string;
  current: { data: string; encodeHash: string };
}

const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;

/** Which state this run starts from, saying why; throws when the choice is the user's (see the module comment). */
export async function decideResume(o: DecideOptions): Promise<ResumeDecision> {
  const log = o.runs.log;
  const store = o.runs.store(o.id);
  if (o.restart) {
    const steps = store.list().map((e) => e.step);
    if (steps.length) {
      log(`train: --restart: discarding the ${steps.length === 1 ? 'checkpoint' : 'checkpoints'} of step ${steps.join(', ')} in ${store.dir}`);
      store.removeAll();
    }
    if (fs.existsSync(o.finishedDir)) log(`train: --restart: training from scratch; the finished run in ${o.finishedDir} is replaced when this one completes`);
  }
  const own = o.restart ? null : store.latest({ maxStep: o.target });
  const past = store.list().filter((e) => e.record && e.step > o.target).at(-1);
  if (past) throw new Error(`train: the checkpoint of step ${past.step} in ${past.dir} is past the end of this run (${o.targetWhy}); raise train.max_steps to at least ${past.step} to continue it, or pass --restart to discard it and train from scratch`);

  let chosen: Resumable | null = own ? resumableFromCheckpoint(own) : null;
  if (!o.restart && !o.force && fs.existsSync(o.finishedDir)) {
    const finished = await resumableFromStage(o.finishedDir, o.config, o.current);
    if (finished && finished.info.id === o.id) {
      if (finished.step > o.target) throw new Error(`train: the finished run in ${o.finishedDir} went to step ${finished.step}, past the end of this run (${o.targetWhy}); raise train.max_steps to at least ${finished.step} to continue it, or pass --restart to train from scratch (the finished run is replaced when that completes)`);
      if (!chosen || finished.step > chosen.step) chosen = finished;
    } else if (finished) {
      keepFinished(o, finished);
    }
  }

  const history: RunHistory = chosen ? structuredClone(chosen.info.history) : { origin: null, implementations: [] };
  if (o.from && chosen) {
    log(`train: --resume-from ${o.from} not used: this run already has its own checkpoint at step ${chosen.step} (${chosen.where}); --restart discards it`);
  } else if (o.from) {
    const from = await openResumeFrom(o.from, o.runs, o.config, o.current);
    const changed = diffMeaning(from.info.meaning, o.meaning);
    const conflicts = resumeFromConflicts(changed);
    if (conflicts.length) throw new Error(`train: --resume-from ${from.where}: cannot continue it under this config, which changes ${conflicts.join('; ')} (the weights, optimizer state and data position carry over, so the arch, seed, data, global_batch_size and ema must stay)`);
    if (from.step >= o.target) throw new Error(`train: --resume-from ${from.where}: it is at step ${from.step}, and this run ends at step ${o.target} (${o.targetWhy}); raise train.max_steps or train.epochs`);
    log(`train: continuing ${from.where} (step ${from.step}) under this config${changed.length ? `: ${changed.join('; ')}` : ' (no key changed)'}; its weights, optimizer moments, EMA, data position and RNG carry over, the schedule is this config's from step ${from.step + 1}`);
    chosen = from;
    history.origin = { checkpoint: from.where, step: from.step, changed };
    history.implementations = structuredClone(from.info.history.implementations);
  }
  if (!chosen || o.from) describeKept(o);
  if (!chosen) return { resume: null, history };

  const changed = diffImplementation(chosen.info.implementation, o.implementation);
  if (changed.length) {
    if (o.strict) throw new Error(`train: --strict: the checkpoint of step ${chosen.step} in ${chosen.where} was made by another implementation (${changed.join('; ')}); rerun without --strict to continue it anyway (the result then differs in the last bits from an uninterrupted run), or with --restart to train from scratch`);
    log(`train: resuming step ${chosen.step} under another implementation (${changed.join('; ')}): the result differs in the last bits from an uninterrupted run, and the train manifest records it (--strict refuses)`);
    history.implementations.push({ untilStep: chosen.step, implementation: chosen.info.implementation, changed });
  }
  return { resume: chosen, history };
}

/** Says which runs of other settings are kept, and exactly what differs. */
function describeKept(o: DecideOptions): void {
  const kept = o.runs.ids().filter((id) => id !== o.id).map((id) => ({ id, rec: o.runs.newest(id) })).filter((k) => k.rec);
  for (const { id, rec } of kept.slice(-3)) {
    const dir = path.join(o.runs.root, id);
    const changed = diffMeaning(rec!.info.meaning, o.meaning);
    o.runs.log(`train: not resuming ${dir} (checkpoint of step ${rec!.step}): it was made with other settings:\n  ${changed.join('\n  ')}\n  It is kept: rerun with its settings to continue it, or pass --resume-from ${dir} to continue it under these.`);
  }
  if (kept.length > 3) o.runs.log(`train: ${plural(kept.length - 3, 'more run')} of other settings kept in ${o.runs.root} (\`trm status --config ${o.config}\` lists them)`);
}

/** A finished run of other settings is about to be replaced: its state is kept as a checkpoint of its own run folder. */
function keepFinished(o: DecideOptions, finished: Resumable): void {
  const store = o.runs.store(finished.info.id);
  const have = store.list().filter((e) => e.record).at(-1);
  if (have && have.step >= finished.step) return;
  store.write(finished.step, checkpointFiles(finished.state, finished.metrics), finished.info);
  o.runs.log(`train: the finished run in ${o.finishedDir} (step ${finished.step}) was made with other settings (${diffMeaning(finished.info.meaning, o.meaning).join('; ')}); kept as ${path.join(store.dir, `step-${finished.step}`)} before this run replaces it`);
}
