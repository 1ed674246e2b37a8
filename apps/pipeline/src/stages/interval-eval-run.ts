// Running one evaluation during training on the test split (or its subsample) as the evaluate stage runs it:
// evaluateModel's metrics, then the dataset lib's task metrics on the same predictions.
import { indexSplit, type EncodedSplit, type EvalResult } from '@trm/trm';
import type { AuxArtifacts, DatasetLib, ExamplePrediction } from '@trm/dataset';
import { bestEval, earlyStopReason, metricOf, type IntervalEval } from './interval-evals.ts';

export interface Subsample {
  split: EncodedSplit;
  /** row of the full test split of each row of `split` */
  rows: Int32Array;
}

/**
 * About `n` examples of `split` as whole groups, evenly spaced over the groups in order (0 or >= the split: all of
 * it). Deterministic: the same examples at every evaluation.
 */
export function subsampleSplit(split: EncodedSplit, n: number): Subsample {
  const N = split.puzzleIdentifiers.length;
  if (n <= 0 || n >= N) return { split, rows: Int32Array.from({ length: N }, (_, i) => i) };
  const index = indexSplit(split, 'test split');
  const G = index.numGroups;
  const want = Math.min(G, Math.max(1, Math.round((n * G) / N)));
  const rows: number[] = [];
  for (let k = 0; k < want; k++) {
    const g = Math.floor((k * G) / want);
    const first = index.puzzleStarts[index.groupStarts[g]];
    const last = index.puzzleStarts[index.groupStarts[g + 1]];
    for (let r = first; r < last; r++) rows.push(r);
  }
  const S = split.seqLen;
  const pick = <T extends Uint8Array | Int32Array>(a: T, width: number, make: (len: number) => T): T => {
    const out = make(rows.length * width);
    rows.forEach((r, i) => out.set(a.subarray(r * width, (r + 1) * width), i * width));
    return out;
  };
  return {
    rows: Int32Array.from(rows),
    split: {
      ...split,
      inputs: pick(split.inputs, S, (l) => new Uint8Array(l)),
      labels: pick(split.labels, S, (l) => new Uint8Array(l)),
      puzzleIdentifiers: pick(split.puzzleIdentifiers, 1, (l) => new Int32Array(l)),
      puzzleIndex: pick(split.puzzleIndex, 1, (l) => new Int32Array(l)),
      groupIndex: pick(split.groupIndex, 1, (l) => new Int32Array(l)),
    },
  };
}

/** The predictions of an evaluation as the dataset lib's evaluate takes them (`rows`: their rows in the full split). */
export function examplePredictions(split: EncodedSplit, res: EvalResult, rows?: Int32Array): ExamplePrediction[] {
  const S = split.seqLen;
  const at = (a: Uint8Array, i: number) => a.slice(i * S, (i + 1) * S);
  return Array.from({ length: split.puzzleIdentifiers.length }, (_, i) => ({
    index: rows ? rows[i] : i, group: split.groupIndex[i], puzzleIdentifier: split.puzzleIdentifiers[i],
    inputs: at(split.inputs, i), labels: at(split.labels, i), preds: at(res.preds, i), qHalt: res.qHalt[i],
  }));
}

/** Names the evaluate stage's metrics take; a dataset metric of the same name is left out of `task`. */
const OWN = new Set(['count', 'exact_accuracy', 'token_accuracy', 'q_halt_accuracy', 'mean_steps', 'accuracy_per_step', 'exact_accuracy_per_step', 'step', 'epoch', 'examples']);

/** One interval's row: the engine's metrics of `res` and the dataset's task metrics, as the evaluate stage computes them. */
export function intervalRow(step: number, epoch: number, split: EncodedSplit, res: EvalResult, lib: DatasetLib, evaluateConfig: Record<string, unknown>, aux: AuxArtifacts | null, rows?: Int32Array): IntervalEval {
  const task = lib.evaluate(examplePredictions(split, res, rows), evaluateConfig, aux);
  const m = res.metrics;
  return {
    step, epoch, examples: res.numExamples,
    exact_accuracy: m.exact_accuracy, token_accuracy: m.token_accuracy, q_halt_accuracy: m.q_halt_accuracy, mean_steps: m.mean_steps,
    exact_accuracy_per_step: m.exact_accuracy_per_step, accuracy_per_step: m.accuracy_per_step,
    task: Object.fromEntries(Object.entries(task.metrics).filter(([k, v]) => !OWN.has(k) && typeof v === 'number')),
  };
}


export interface IntervalEvaluatorOptions {
  /** the steps after which to evaluate (evalSchedule) */
  schedule: number[];
  /** the test split and what the dataset's evaluate needs */
  test: EncodedSplit;
  subsample: number;
  lib: DatasetLib;
  evaluateConfig: Record<string, unknown>;
  aux: AuxArtifacts | null;
  batchSize: number;
  /** epochs of the schedule after a step */
  epochAt: (step: number) => number;
  /** the metric watched for the best interval and early stopping; patience 0 = no early stop */
  metric: string;
  patience: number;
  /** rows of the evaluations before a resumed run's first step */
  previous: IntervalEval[];
  /** evaluates the weights the run publishes (the trainer's, through its workers) on a split, as evaluateModel does */
  evaluate: (split: EncodedSplit, batchSize: number) => EvalResult;
}

/** The evaluations of one run: when they are due, running one, the best so far, and whether to stop early. */
export class IntervalEvaluator {
  readonly rows: IntervalEval[];
  private readonly sample: Subsample;

  constructor(private readonly o: IntervalEvaluatorOptions) {
    this.sample = subsampleSplit(o.test, o.subsample);
    this.rows = [...o.previous];
  }

  get examples(): number {
    return this.sample.split.puzzleIdentifiers.length;
  }

  /** the first scheduled step, null when none */
  get first(): number | null {
    return this.o.schedule[0] ?? null;
  }

  /** an evaluation comes after this step (and was not made before a resume) */
  due(step: number): boolean {
    return this.o.schedule.includes(step) && !this.rows.some((r) => r.step === step);
  }

  /** the next scheduled step after `step`, null when none is left */
  next(step: number): number | null {
    return this.o.schedule.find((s) => s > step) ?? null;
  }

  /** evaluates the run's current weights at `step` and keeps the row */
  run(step: number): IntervalEval {
    const res = this.o.evaluate(this.sample.split, this.o.batchSize);
    const row = intervalRow(step, this.o.epochAt(step), this.sample.split, res, this.o.lib, this.o.evaluateConfig, this.o.aux, this.sample.rows);
    metricOf(row, this.o.metric); // a metric the evaluation lacks fails here, at the first one, naming the others
    this.rows.push(row);
    return row;
  }

  best(): IntervalEval | null {
    return bestEval(this.rows, this.o.metric);
  }

  /** the row just added is the best so far (the first of the highest counts) */
  improved(): boolean {
    const last = this.rows.at(-1);
    return !!last && this.best() === last;
  }

  stopReason(): string | null {
    return earlyStopReason(this.rows, this.o.metric, this.o.patience);
  }
}
