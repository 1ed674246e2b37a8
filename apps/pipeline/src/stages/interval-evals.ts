// Evaluation during training (`train.eval_interval`, as pretrain.py's eval_interval): when, on what, what is kept.
//
// When: pretrain.py trains `eval_interval` epochs per iteration and evaluates after iteration k (0-based) when
// k >= `min_eval_interval`. Here the schedule's epochs are the ones totalTrainSteps counts (epochs x groups x mean
// examples per puzzle / batch), so the evaluation after k+1 intervals comes at
// step floor((k+1) x eval_interval x groups x mean / batch), and the last interval of a divisible schedule ends at the
// last step, as in the reference. The run's last step is evaluated too when no interval ends there (train.max_steps,
// or epochs not a multiple of eval_interval), so the curve ends at the model the train stage publishes.
// On what (interval-eval-run.ts): the test split, or `evaluate.subsample` examples of it (whole puzzle groups, evenly spaced, so a dataset
// that votes over a puzzle's augmented copies (ARC) scores complete groups).
// What: one row per evaluation (IntervalEval), the metrics of the evaluate stage and the dataset's task metrics.
// Types only here (the report reads the table); the parts that run the evaluation are in interval-eval-run.ts.
import type { ColumnSpec, Row } from '../artifacts/arrow-table.ts';

export interface IntervalEval {
  /** optimizer steps taken when it was evaluated */
  step: number;
  /** epochs of the schedule done by then (step x batch / (groups x mean examples per puzzle)) */
  epoch: number;
  /** test examples evaluated */
  examples: number;
  exact_accuracy: number;
  token_accuracy: number;
  q_halt_accuracy: number;
  mean_steps: number;
  /** after supervision step 1, 2, ..., halt_max_steps */
  exact_accuracy_per_step: number[];
  accuracy_per_step: number[];
  /** the dataset's task metrics (Sudoku valid_solution_rate, Maze valid_path_rate, ARC/pass@2, ...) */
  task: Record<string, number>;
}

export interface EvalScheduleOptions {
  /** epochs per interval; 0 = no evaluation during training */
  evalInterval: number;
  /** pretrain.py's min_eval_interval: the first interval (0-based) after which to evaluate */
  minEvalInterval: number;
  epochs: number;
  globalBatchSize: number;
  numGroups: number;
  meanPuzzleExamples: number;
  /** the step the run ends at (train.max_steps or the schedule) */
  lastStep: number;
}

/** The steps after which the run evaluates, ascending. */
export function evalSchedule(o: EvalScheduleOptions): number[] {
  if (o.evalInterval <= 0) return [];
  const perEpoch = (o.numGroups * o.meanPuzzleExamples) / o.globalBatchSize;
  const steps = new Set<number>();
  for (let k = o.minEvalInterval; (k + 1) * o.evalInterval <= o.epochs; k++) {
    const s = Math.floor((k + 1) * o.evalInterval * perEpoch);
    if (s > o.lastStep) break;
    if (s >= 1) steps.add(s);
  }
  // the model the run ends with, when no interval ends there: the end falls in interval ceil(epochs done / interval)
  // - 1 (0-based), evaluated when that interval is one pretrain.py evaluates after
  const endInterval = Math.ceil(o.lastStep / perEpoch / o.evalInterval - 1e-9) - 1;
  if (o.lastStep >= 1 && endInterval >= o.minEvalInterval) steps.add(o.lastStep);
  return [...steps].sort((a, b) => a - b);
}

/** Epochs of the schedule after `step` optimizer steps. */
export function epochAt(step: number, globalBatchSize: number, numGroups: number, meanPuzzleExamples: number): number {
  return (step * globalBatchSize) / (numGroups * meanPuzzleExamples);
}

/** The metrics a run can watch (train.early_stop_metric): the headline accuracies and the dataset's task metrics. */
export function watchable(row: IntervalEval): string[] {
  return ['exact_accuracy', 'token_accuracy', 'q_halt_accuracy', ...Object.keys(row.task)];
}

/** The value of `metric` in a row (higher is better), or throws naming the metrics there are. */
export function metricOf(row: IntervalEval, metric: string): number {
  const own = (row as unknown as Record<string, unknown>)[metric];
  const v = typeof own === 'number' && metric !== 'step' && metric !== 'epoch' && metric !== 'examples' && metric !== 'mean_steps' ? own : row.task[metric];
  if (typeof v !== 'number') throw new Error(`train.early_stop_metric = ${JSON.stringify(metric)}: not a metric of this evaluation; it has ${watchable(row).join(', ')}`);
  return v;
}

/** The first row with the highest value of `metric` (null for no rows). */
export function bestEval(rows: readonly IntervalEval[], metric: string): IntervalEval | null {
  let best: IntervalEval | null = null;
  for (const r of rows) if (!best || metricOf(r, metric) > metricOf(best, metric)) best = r;
  return best;
}

/**
 * Early stopping: the reason to stop when the last `patience` evaluations brought no improvement of `metric` over the
 * best before them (null: go on; patience 0: never).
 */
export function earlyStopReason(rows: readonly IntervalEval[], metric: string, patience: number): string | null {
  if (patience <= 0 || rows.length <= patience) return null;
  const before = bestEval(rows.slice(0, rows.length - patience), metric)!;
  const recent = rows.slice(rows.length - patience);
  if (recent.some((r) => metricOf(r, metric) > metricOf(before, metric))) return null;
  return `early stop: ${metric} did not improve on ${fmt(metricOf(before, metric))} (step ${before.step}) in the ${patience} evaluation${patience === 1 ? '' : 's'} since (train.early_stop = ${patience})`;
}

const fmt = (v: number) => (v >= 0 && v <= 1 ? `${(100 * v).toFixed(2)}%` : String(v));

/** Arrow columns of the table (catalog entry train.evals): fixed ones, per-step accuracies, then task metrics. */
export function intervalColumns(haltMaxSteps: number, taskNames: readonly string[]): ColumnSpec[] {
  const steps = Array.from({ length: haltMaxSteps }, (_, i) => i + 1);
  return [
    { name: 'step', kind: 'int32' },
    { name: 'epoch', kind: 'float64' },
    { name: 'examples', kind: 'int32' },
    ...['exact_accuracy', 'token_accuracy', 'q_halt_accuracy', 'mean_steps'].map((name): ColumnSpec => ({ name, kind: 'float64' })),
    ...steps.map((s): ColumnSpec => ({ name: `exact_accuracy_step_${s}`, kind: 'float64' })),
    ...steps.map((s): ColumnSpec => ({ name: `token_accuracy_step_${s}`, kind: 'float64' })),
    ...taskNames.map((name): ColumnSpec => ({ name, kind: 'float64', nullable: true })),
  ];
}

export function taskNames(rows: readonly IntervalEval[]): string[] {
  return [...new Set(rows.flatMap((r) => Object.keys(r.task)))].sort();
}

export function intervalTableRows(rows: readonly IntervalEval[], names: readonly string[]): Row[] {
  return rows.map((r) => {
    const out: Row = {
      step: r.step, epoch: r.epoch, examples: r.examples,
      exact_accuracy: r.exact_accuracy, token_accuracy: r.token_accuracy, q_halt_accuracy: r.q_halt_accuracy, mean_steps: r.mean_steps,
    };
    r.exact_accuracy_per_step.forEach((v, i) => (out[`exact_accuracy_step_${i + 1}`] = v));
    r.accuracy_per_step.forEach((v, i) => (out[`token_accuracy_step_${i + 1}`] = v));
    for (const n of names) out[n] = r.task[n] ?? null;
    return out;
  });
}

/** Rows of the table back (the report, a resumed run): per-step columns in order, other numbers as task metrics. */
export function intervalRowsFromTable(table: Record<string, unknown>[], file: string): IntervalEval[] {
  const FIXED = new Set(['step', 'epoch', 'examples', 'exact_accuracy', 'token_accuracy', 'q_halt_accuracy', 'mean_steps']);
  return table.map((t, i) => {
    const num = (k: string) => {
      const v = t[k];
      if (typeof v !== 'number') throw new Error(`${file} row ${i} column ${k}: expected a number, got ${JSON.stringify(v)}`);
      return v;
    };
    const perStep = (prefix: string) => Object.keys(t).filter((k) => k.startsWith(prefix)).sort((a, b) => Number(a.slice(prefix.length)) - Number(b.slice(prefix.length))).map(num);
    const task: Record<string, number> = {};
    for (const [k, v] of Object.entries(t)) if (!FIXED.has(k) && !/^(exact|token)_accuracy_step_\d+$/.test(k) && typeof v === 'number') task[k] = v;
    return {
      step: num('step'), epoch: num('epoch'), examples: num('examples'),
      exact_accuracy: num('exact_accuracy'), token_accuracy: num('token_accuracy'), q_halt_accuracy: num('q_halt_accuracy'), mean_steps: num('mean_steps'),
      exact_accuracy_per_step: perStep('exact_accuracy_step_'), accuracy_per_step: perStep('token_accuracy_step_'), task,
    };
  });
}

/** The metrics of a row as a tracker records them (`eval/exact_accuracy`, `eval/exact_accuracy_step_3`, ...). */
export function trackedMetrics(r: IntervalEval): Record<string, number> {
  const out: Record<string, number> = {
    'eval/exact_accuracy': r.exact_accuracy, 'eval/token_accuracy': r.token_accuracy, 'eval/q_halt_accuracy': r.q_halt_accuracy, 'eval/mean_steps': r.mean_steps,
  };
  r.exact_accuracy_per_step.forEach((v, i) => (out[`eval/exact_accuracy_step_${i + 1}`] = v));
  for (const [k, v] of Object.entries(r.task)) out[`eval/${k}`] = v;
  return out;
}
