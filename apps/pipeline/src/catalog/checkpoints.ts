// The checkpoint entries of the catalog (entries.mjs: train.checkpoints, train.checkpoint_model, train.best_model,
// evaluate.batches) and the finished train folder read as a checkpoint: the only place that names their files.
//   train.partial/<run id>/step-<N>/   a train checkpoint (CHECKPOINT_FILES), one CheckpointStore per run (TrainRuns)
//   train.partial/<run id>/best/       the best evaluation's model and best.json (BestModel)
//   evaluate.partial/step-<N>/         evaluate's finished batches (EVAL_BATCHES_FILE)
// The resume policy (which checkpoint a run continues) is stages/train-runs.ts's; this module only reads and writes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TrainerState } from '@trm/trm';
import { decodeSafetensors, encodeSafetensors, type TensorDict } from '@trm/tensor-core';
import type { Row } from '../artifacts/arrow-table.ts';
import { canonicalJson, sha256 } from '../artifacts/hash.ts';
import { readManifest, verifyFiles, type Manifest } from '../artifacts/manifest.ts';
import { readTable } from '../artifacts/open-stage.ts';
import { CHECKPOINT_RECORD, CheckpointStore, type CheckpointRecord, type OpenedCheckpoint } from '../io/checkpoint-store.ts';
import { writeFileAtomicSynced } from '../io/fs-errors.ts';
import { removeDeadTemporaries } from '../io/temporaries.ts';
import type { IntervalEval } from '../stages/interval-evals.ts';
import type { MetricRow, RunImplementation, TrainRunInfo } from '../stages/train-runs.ts';
import { catalogEntry } from './entries.mjs';

/**
 * A train checkpoint's files: the trainer state, the metrics and evaluations so far, the model's file (`model`: what
 * trm solve/evaluate --checkpoint read) and, for the checkpoint of a stop, why it stopped (`stopped`: {"reason": "SIGINT"}).
 */
export const CHECKPOINT_FILES = { state: 'state.safetensors', meta: 'state.json', metrics: 'metrics.json', evals: 'evals.json', model: 'model.safetensors', stopped: 'stopped.json' } as const;

/** The best model's folder in a run folder, and its two files. */
export const BEST_FILES = { dir: 'best', model: 'model.safetensors', info: 'best.json' } as const;

/** The one file of an evaluate.batches checkpoint. */
export const EVAL_BATCHES_FILE = 'batches.safetensors';

export function checkpointFiles(state: TrainerState, metrics: MetricRow[], extra: { evals?: IntervalEval[]; model?: Uint8Array; stopped?: string } = {}): Record<string, Uint8Array | string> {
  return {
    [CHECKPOINT_FILES.state]: encodeSafetensors(state.tensors),
    [CHECKPOINT_FILES.meta]: JSON.stringify(state.meta) + '\n',
    [CHECKPOINT_FILES.metrics]: JSON.stringify(metrics) + '\n',
    ...(extra.evals ? { [CHECKPOINT_FILES.evals]: JSON.stringify(extra.evals) + '\n' } : {}),
    ...(extra.model ? { [CHECKPOINT_FILES.model]: extra.model } : {}),
    ...(extra.stopped ? { [CHECKPOINT_FILES.stopped]: JSON.stringify({ reason: extra.stopped }) + '\n' } : {}),
  };
}

const decoder = new TextDecoder();

/** A verified train checkpoint's content, decoded (throws naming the missing file). */
export function readCheckpoint(c: OpenedCheckpoint<TrainRunInfo>): { meta: TrainerState['meta']; tensors: TensorDict; metrics: MetricRow[]; evals: IntervalEval[] } {
  const need = (name: string) => {
    const b = c.files[name];
    if (!b) throw new Error(`${c.dir}: checkpoint without ${name}`);
    return b;
  };
  const meta = JSON.parse(decoder.decode(need(CHECKPOINT_FILES.meta)));
  const metrics = JSON.parse(decoder.decode(need(CHECKPOINT_FILES.metrics))) as MetricRow[];
  const tensors = decodeSafetensors(need(CHECKPOINT_FILES.state), path.join(c.dir, CHECKPOINT_FILES.state)).tensors;
  const evals = c.files[CHECKPOINT_FILES.evals] ? (JSON.parse(decoder.decode(c.files[CHECKPOINT_FILES.evals])) as IntervalEval[]) : [];
  return { meta, tensors, metrics, evals };
}

/** What --resume-from names: a checkpoint folder (step-<N>), a finished stage folder, or else a run folder. */
export function checkpointKind(dir: string): 'checkpoint' | 'stage' | 'run' {
  if (fs.existsSync(path.join(dir, CHECKPOINT_RECORD))) return 'checkpoint';
  if (fs.existsSync(path.join(dir, 'manifest.json'))) return 'stage';
  return 'run';
}

/** The best evaluation's model of one run (train.best_model): written at each improvement, read when the run ends. */
export class BestModel {
  readonly dir: string;
  constructor(runDir: string) {
    this.dir = path.join(runDir, BEST_FILES.dir);
  }

  write(model: Uint8Array, info: { step: number; epoch: number; metric: string; value: number }): void {
    fs.mkdirSync(this.dir, { recursive: true });
    writeFileAtomicSynced(path.join(this.dir, BEST_FILES.model), model);
    writeFileAtomicSynced(path.join(this.dir, BEST_FILES.info), JSON.stringify(info) + '\n');
  }

  /** The model file's bytes when best.json says it is the one of `step`, else null. */
  read(step: number): Uint8Array | null {
    const file = path.join(this.dir, BEST_FILES.model);
    const info = path.join(this.dir, BEST_FILES.info);
    if (!fs.existsSync(file) || !fs.existsSync(info) || JSON.parse(fs.readFileSync(info, 'utf8')).step !== step) return null;
    return new Uint8Array(fs.readFileSync(file));
  }

  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The runs of one config: artifacts/<config>/train.partial/<run id>/ (catalog entry train.checkpoints), each a CheckpointStore. */
export class TrainRuns {
  constructor(readonly root: string, readonly log: (message: string) => void) {}

  /** a run's checkpoints; `keep`: how many a write leaves (train.keep_checkpoints; at least 2) */
  store(id: string, keep?: number): CheckpointStore<TrainRunInfo> {
    return new CheckpointStore<TrainRunInfo>(path.join(this.root, id), { keep, log: (m) => this.log(`train: ${m}`) });
  }

  /** a run's best model */
  best(id: string): BestModel {
    return new BestModel(path.join(this.root, id));
  }

  /** Run folders present (by id), oldest first by their newest checkpoint's time. */
  ids(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.root);
    } catch {
      return [];
    }
    const dirs = names.filter((n) => /^[0-9a-f]{12}$/.test(n) && fs.statSync(path.join(this.root, n)).isDirectory());
    const time = (n: string) => fs.statSync(path.join(this.root, n)).mtimeMs;
    return dirs.sort((a, b) => time(a) - time(b) || (a < b ? -1 : 1));
  }

  /**
   * Checkpoints of the layout before run folders (train.partial/{key.json, latest.json, state-N.*}): imported into
   * this run's folder when key.json says they were made from the same config sections and data (their code counts as
   * another implementation), otherwise moved to train.partial/legacy-<hash>/ and kept.
   */
  importLegacy(key: { configHash: string; inputs: Record<string, string> }, id: string, info: (code: string, backend: RunImplementation['backend']) => TrainRunInfo): void {
    const latest = path.join(this.root, 'latest.json');
    const keyFile = path.join(this.root, 'key.json');
    if (!fs.existsSync(latest) || !fs.existsSync(keyFile)) return;
    const files = fs.readdirSync(this.root).filter((n) => /^(state-\d+\.(safetensors|json)|metrics-\d+\.json|latest\.json|key\.json)$/.test(n));
    try {
      const old = JSON.parse(fs.readFileSync(keyFile, 'utf8')) as { configHash: string; inputs: Record<string, string>; code: string; backend: RunImplementation['backend'] };
      const { step } = JSON.parse(fs.readFileSync(latest, 'utf8')) as { step: number };
      if (old.configHash === key.configHash && canonicalJson(old.inputs) === canonicalJson(key.inputs)) {
        const read = (n: string) => new Uint8Array(fs.readFileSync(path.join(this.root, n)));
        decodeSafetensors(read(`state-${step}.safetensors`), `state-${step}.safetensors`);
        JSON.parse(decoder.decode(read(`state-${step}.json`)));
        JSON.parse(decoder.decode(read(`metrics-${step}.json`)));
        this.store(id).write(step, { [CHECKPOINT_FILES.state]: read(`state-${step}.safetensors`), [CHECKPOINT_FILES.meta]: read(`state-${step}.json`), [CHECKPOINT_FILES.metrics]: read(`metrics-${step}.json`) }, info(old.code, old.backend));
        for (const n of files) fs.rmSync(path.join(this.root, n), { force: true });
        this.log(`train: moved the checkpoint of step ${step} from the previous layout of ${this.root} into ${path.join(this.root, id)}`);
        return;
      }
    } catch (e) {
      this.log(`train: the checkpoint files of the previous layout in ${this.root} cannot be read (${(e as Error).message})`);
    }
    const aside = path.join(this.root, `legacy-${sha256(fs.readFileSync(keyFile)).slice(0, 12)}`);
    fs.mkdirSync(aside, { recursive: true });
    for (const n of files) fs.renameSync(path.join(this.root, n), path.join(aside, n));
    this.log(`train: checkpoint files of the previous layout, made from other settings, moved to ${aside} (kept; this version does not resume them)`);
  }

  /** The newest checkpoint record of a run folder (not verified), or null. */
  newest(id: string): CheckpointRecord<TrainRunInfo> | null {
    return this.store(id).list().filter((e) => e.record).at(-1)?.record ?? null;
  }

  /**
   * After a run finished into the train stage folder: its checkpoints and best model removed (what was set aside as
   * damaged stays, for a look), its folder when empty, train.partial when nothing is left in it.
   */
  finish(id: string): void {
    const store = this.store(id);
    store.removeCheckpoints();
    this.best(id).remove();
    if (store.exists() && fs.readdirSync(store.dir).length === 0) fs.rmSync(store.dir, { recursive: true, force: true });
    this.removeIfEmpty();
  }

  /** Removes train.partial when nothing is left in it but dead temporaries. */
  removeIfEmpty(): void {
    if (!fs.existsSync(this.root)) return;
    removeDeadTemporaries(this.root);
    if (fs.readdirSync(this.root).length === 0) fs.rmSync(this.root, { recursive: true, force: true });
  }
}

/** A finished train stage folder opened as a checkpoint: its manifest and state.json; the rest read on demand. */
export interface FinishedTrain {
  dir: string;
  manifest: Manifest;
  /** state.json: the trainer state's meta, the arch, the train section and (newer runs) the run */
  saved: Record<string, unknown>;
  /** run.json (throws when absent) */
  runRecord(): Record<string, unknown>;
  /** the trainer state's tensors, the metrics rows and (when the run wrote them) the evaluations' rows */
  contents(): Promise<{ tensors: TensorDict; metrics: Row[]; evals: { rows: Row[]; name: string } | null }>;
}

/**
 * The finished train stage in `dir` when it can be continued: its manifest readable, its files verified, a trainer
 * state present (an imported model, trm import-checkpoint, has none); else null.
 */
export async function openFinishedTrain(dir: string, config: string): Promise<FinishedTrain | null> {
  const file = (id: string) => path.join(dir, catalogEntry(id).path);
  let manifest: Manifest;
  let saved: Record<string, unknown>;
  try {
    manifest = readManifest(dir, 'train', config).manifest;
    if (manifest.lineage || !manifest.files[catalogEntry('train.state').path] || !manifest.files[catalogEntry('train.state_meta').path]) return null;
    await verifyFiles(dir, manifest);
    saved = JSON.parse(fs.readFileSync(file('train.state_meta'), 'utf8'));
  } catch {
    return null;
  }
  return {
    dir,
    manifest,
    saved,
    runRecord: () => JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8')) as Record<string, unknown>,
    async contents() {
      const tensors = decodeSafetensors(new Uint8Array(fs.readFileSync(file('train.state'))), file('train.state')).tensors;
      const metrics = await readTable(file('train.metrics'));
      const evals = manifest.files[catalogEntry('train.evals').path] ? { rows: await readTable(file('train.evals')), name: file('train.evals') } : null;
      return { tensors, metrics, evals };
    },
  };
}
