// ReportInput: everything the report shows, as plain data. The report stage (stages/report.ts) fills it from
// artifacts; buildReport turns it into markdown + SVG files without touching the file system.
import type { DatasetLib, ExamplePrediction } from '@trm/dataset';
import type { EvalMetrics as EngineEvalMetrics } from '@trm/trm';
import type { IntervalEval } from '../stages/interval-evals.ts';

/** One stage of the run as its artifact folder describes it. */
export interface StageRecord {
  stage: string;
  /** sha256 of the stage's manifest.json */
  manifestHash: string;
  configHash: string;
  /** code hash from the manifest */
  code: string;
  /** backend named by the manifest (train/evaluate), null elsewhere */
  backend: string | null;
  files: Record<string, { sha256: string; rows?: number }>;
  /** wall time from run.json, null when the stage left none */
  wallSeconds: number | null;
}

/** One row of train/metrics.arrow (means over the examples that halted that step). */
export interface TrainMetricRow {
  step: number;
  epoch: number;
  lr: number;
  lm_loss: number;
  q_halt_loss: number;
  loss: number;
  accuracy: number;
  exact_accuracy: number;
  q_halt_accuracy: number;
  steps: number;
  count: number;
}

/**
 * evaluate/metrics.json: the metrics of `evaluateModel` (@trm/trm) plus the dataset's task metrics, which the file
 * holds beside them (or under `task`) and the report keeps apart.
 */
export interface EvalMetrics extends EngineEvalMetrics {
  /** the dataset's task metrics (Maze path validity, ARC pass@K, ...) */
  task: Record<string, number>;
}

/** One evaluated test example, with its per-step predictions when evaluate kept them. */
export interface ExampleView extends ExamplePrediction {
  steps: number;
  correct: boolean;
  /** preds after supervision step 1, 2, ... (empty when not recorded) */
  trajectory: Uint8Array[];
}

/** Summary of another run to compare with (`--compare OTHER`, or the previous run of the same config). */
export interface ComparisonRun {
  /** e.g. `sudoku-base` or `sudoku-tiny @ 3f2a9c1` */
  label: string;
  config: Record<string, unknown>;
  metrics: Record<string, number>;
}

export interface ReportInput {
  configName: string;
  /** the fully resolved config (extends merged, overrides applied) */
  config: Record<string, unknown>;
  /** `--set` overrides given on the command line, as typed (`train.lr=3e-4`) */
  overrides: string[];
  dataset: DatasetLib;
  /**
   * the commit of the run: recorded by the train stage, or HEAD when the report was written (`recorded` false);
   * `dirty` = tracked files had uncommitted changes at report time (null = unknown). null outside git.
   */
  git: { commit: string; recorded: boolean; dirty: boolean | null } | null;
  backend: { name: string; version: string | null; gemm?: string | null; precision?: string | null } | null;
  params: { model: number; puzzleEmb: number } | null;
  /** encoded data sizes: examples per split and groups (original puzzles) in the train split */
  data: { trainExamples: number | null; testExamples: number | null; trainGroups: number | null; seqLen: number | null };
  stages: StageRecord[];
  /**
   * time spent in optimizer steps and how many steps ran in it (excluding setup and steps resumed from a checkpoint);
   * `workers` = the worker threads the train stage recorded it trained on (0 = the main thread), null when it recorded
   * none (the report then shows `runtime.workers` of the config, labelled as such)
   */
  training: { seconds: number | null; steps: number | null; workers: number | null };
  /** the model came from `trm import-checkpoint` (the train manifest's lineage), not from training here */
  imported?: { file: string; sha256: string; format: string; dtypes: string[] } | null;
  trainMetrics: TrainMetricRow[];
  evalMetrics: EvalMetrics;
  /** per evaluated test example (predictions.arrow): supervision steps, final q_halt logit, solved */
  testRows: { steps: Int32Array; qHalt: Float32Array; correct: Uint8Array };
  /** the examples to draw (a few; those with trajectories first) */
  examples: ExampleView[];
  comparison: ComparisonRun | null;
  /** evaluations during training (train.eval_interval), oldest first; absent or empty when there were none */
  intervalEvals?: IntervalEval[];
  /** the metric they watch for the best interval and early stopping (train.early_stop_metric) */
  watchMetric?: string;
  /** a run that is still training or was stopped; absent: it finished */
  runState?: RunState;
}

/** How far a run got, for the report of a run that did not finish. */
export interface RunState {
  state: 'finished' | 'in progress' | 'stopped';
  /** optimizer steps done (of the newest checkpoint, for a run in progress) */
  step: number;
  /** the step it ends at when nothing stops it */
  total: number;
  /** what stopped it (`SIGINT`, the early-stop rule, `killed`), or a note */
  reason: string | null;
  /** the model the train artifact (or the checkpoint) holds: the last step's or the best interval's */
  model: { kind: 'last' | 'best'; step: number } | null;
  /** where the results come from */
  evaluated: 'evaluate stage' | 'last interval' | 'none';
}

export interface ReportOutput {
  markdown: string;
  /** relative path (`img/loss.svg`) -> content */
  files: Record<string, string>;
}
