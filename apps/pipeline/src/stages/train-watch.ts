// What watches a training run besides the steps themselves (issue 18): the evaluations during training
// (train.eval_interval, through the trainer's own workers), the best model so far (train.partial/<run id>/best/),
// early stopping, the live view in the terminal (io/train-view.ts) and the experiment trackers (tracking/). None of
// them changes a step: a run with and without them ends with the same weights.
import type { AuxArtifacts } from '@trm/dataset';
import type { EncodedSplit, SplitIndex, Trainer, TrainStepMetrics } from '@trm/trm';
import { encodeSafetensors } from '@trm/tensor-core';
import { canonicalJson } from '../artifacts/hash.ts';
import type { ResolvedConfig } from '../config/load.ts';
import { log } from '../io/progress.ts';
import { createTrainView, type TrainView } from '../io/train-view.ts';
import { createTracker, flatParams, type RunStatus, type Tracker } from '../tracking/index.ts';
import type { StageContext } from './context.ts';
import { IntervalEvaluator } from './interval-eval-run.ts';
import { epochAt, evalSchedule, metricOf, trackedMetrics, type IntervalEval } from './interval-evals.ts';
import { SECTIONS } from '../config/load.ts';
import type { BestModel } from '../catalog/checkpoints.ts';

/** The model file of a checkpoint: the weights the evaluate stage would use, the arch and the step in its header. */
export function checkpointModel(trainer: Trainer, arch: object, epoch: number): Uint8Array {
  return encodeSafetensors(trainer.weightsForEval(), { format: 'pt', config: canonicalJson(arch), 'trm.step': String(trainer.stepCount), 'trm.epoch': String(epoch) });
}

export interface WatchOptions {
  ctx: StageContext;
  trainer: Trainer;
  arch: object;
  index: SplitIndex;
  /** the step the run ends at (train.max_steps or the schedule) */
  total: number;
  /** the encoded test split and the dataset's aux data (catalog entries encode.test, encode.aux), read when evaluations are on */
  test: () => Promise<EncodedSplit>;
  aux: () => AuxArtifacts | null;
  /** the run's best model (catalog entry train.best_model) */
  best: BestModel;
  runId: string;
  /** evaluations made before a resumed run's first step */
  previous: IntervalEval[];
}

export class TrainWatch {
  readonly evaluator: IntervalEvaluator | null;
  readonly metric: string;
  private view: TrainView | null = null;
  private tracker: Tracker | null = null;
  private readonly B: number;

  private constructor(private readonly o: WatchOptions, evaluator: IntervalEvaluator | null) {
    this.evaluator = evaluator;
    this.metric = o.ctx.config.train.early_stop_metric as string;
    this.B = o.ctx.config.train.global_batch_size as number;
  }

  static async start(o: WatchOptions): Promise<TrainWatch> {
    const { ctx, index, total, trainer } = o;
    const t = ctx.config.train;
    const interval = t.eval_interval as number;
    let evaluator: IntervalEvaluator | null = null;
    if (interval > 0) {
      const split = await o.test();
      const aux = o.aux();
      const B = t.global_batch_size as number;
      const schedule = evalSchedule({
        evalInterval: interval, minEvalInterval: t.min_eval_interval as number, epochs: t.epochs as number, globalBatchSize: B,
        numGroups: index.numGroups, meanPuzzleExamples: index.meanPuzzleExamples, lastStep: total,
      });
      evaluator = new IntervalEvaluator({
        schedule, test: split, subsample: ctx.config.evaluate.subsample as number, lib: ctx.dataset.lib, evaluateConfig: ctx.config.evaluate, aux,
        batchSize: ctx.config.evaluate.batch_size as number, epochAt: (s) => epochAt(s, B, index.numGroups, index.meanPuzzleExamples),
        metric: t.early_stop_metric as string, patience: t.early_stop as number, previous: o.previous,
        evaluate: (data, batchSize) => trainer.evaluate(data, { batchSize, trajectoryExamples: 0 }),
      });
      const next = evaluator.next(trainer.stepCount);
      log(`train: evaluating ${evaluator.examples} test examples every ${interval} epochs (${schedule.length} evaluations${next !== null ? `, the next after step ${next}` : ', none left'})${(t.early_stop as number) > 0 ? `; early stop after ${t.early_stop} without a better ${t.early_stop_metric}` : ''}`);
    } else if ((t.early_stop as number) > 0 || t.final_model === 'best') {
      log('train: train.early_stop and train.final_model = best need evaluations during training (train.eval_interval); they are off');
    }
    const w = new TrainWatch(o, evaluator);
    w.tracker = createTracker(ctx.config.tracking as Record<string, string>, ctx.root, log);
    if (w.tracker) {
      const params = flatParams(Object.fromEntries([['dataset', ctx.config.dataset], ['seed', ctx.config.seed], ...SECTIONS.map((s) => [s, ctx.config[s]])]));
      await w.tracker.start({ config: ctx.config.name, run: o.runId, params, startStep: trainer.stepCount, totalSteps: total });
      log(`train: tracking to ${w.tracker.name}`);
    }
    w.view = createTrainView({ total, startStep: trainer.stepCount, firstEval: evaluator?.next(trainer.stepCount) ?? null });
    return w;
  }

  /** After a training step: the live view and the trackers. */
  step(m: TrainStepMetrics): void {
    this.view?.step(m);
    this.tracker?.log('train', m.step, m.epoch, { 'train/loss': m.loss, 'train/lm_loss': m.lm_loss, 'train/q_halt_loss': m.q_halt_loss, 'train/accuracy': m.accuracy, 'train/exact_accuracy': m.exact_accuracy, 'train/q_halt_accuracy': m.q_halt_accuracy, 'train/steps': m.steps, 'train/lr': m.lr });
  }

  /** Evaluates when one is due after this step; the row, or null. Keeps the best model when it improved. */
  evaluateIfDue(): IntervalEval | null {
    const ev = this.evaluator;
    const step = this.o.trainer.stepCount;
    if (!ev || !ev.due(step)) return null;
    const row = ev.run(step);
    const best = ev.best()!;
    if (ev.improved()) {
      this.o.best.write(checkpointModel(this.o.trainer, this.o.arch, row.epoch), { step, epoch: row.epoch, metric: this.metric, value: metricOf(row, this.metric) });
    }
    const pct = (v: number) => `${(100 * v).toFixed(2)}%`;
    log(`train: step ${step} (epoch ${row.epoch.toFixed(2)}): test exact ${pct(row.exact_accuracy)}, token ${pct(row.token_accuracy)} on ${row.examples} examples; best ${this.metric} ${pct(metricOf(best, this.metric))} at step ${best.step}`);
    this.view?.evaluation({ step, metric: this.metric, value: metricOf(row, this.metric), best: { step: best.step, value: metricOf(best, this.metric) }, next: ev.next(step) });
    this.tracker?.log('eval', step, row.epoch, trackedMetrics(row));
    return row;
  }

  /** The reason to stop early after the evaluation just made (train.early_stop), or null. */
  stopReason(): string | null {
    return this.evaluator?.stopReason() ?? null;
  }

  get rows(): IntervalEval[] {
    return this.evaluator?.rows ?? [];
  }

  /** The best model's file content when train.final_model = best and there is one for this run, else null. */
  bestModel(): { bytes: Uint8Array; step: number } | null {
    const best = this.evaluator?.best();
    if (!best || this.o.ctx.config.train.final_model !== 'best') return null;
    const bytes = this.o.best.read(best.step);
    return bytes ? { bytes, step: best.step } : null;
  }

  /** The display closed (before the stage's last lines). */
  closeView(): void {
    this.view?.done();
    this.view = null;
  }

  /** The trackers told how it ended (never throws). */
  async end(status: RunStatus, reason: string | null): Promise<void> {
    this.closeView();
    if (!this.tracker) return;
    const best = this.evaluator?.best();
    const metrics = best ? Object.fromEntries(Object.entries(trackedMetrics(best)).map(([k, v]) => [k.replace(/^eval\//, 'best/'), v])) : {};
    try {
      await this.tracker.end({ status, reason, step: this.o.trainer.stepCount, metrics });
    } catch (e) {
      log(`train: tracking: ${(e as Error).message}`);
    }
    this.tracker = null;
  }
}
