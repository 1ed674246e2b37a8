// Experiment tracking: what a training run tells a tracker, and the trackers it can tell (tracking/index.ts picks
// them from the config's `tracking` section or the environment). A tracker never fails a run: an error is logged once
// and that tracker stops; nothing the pipeline writes depends on one.

/** Metrics of one record, by name (`train/loss`, `eval/exact_accuracy`, ...). */
export type Metrics = Record<string, number>;

/** How a run ended, as every tracker records it. */
export type RunStatus = 'finished' | 'stopped' | 'early_stop' | 'failed';

export interface RunStart {
  /** the config's name */
  config: string;
  /** the run's id (artifacts/<config>/train.partial/<id>/ when resumable checkpoints exist) */
  run: string;
  /** the resolved config, flattened to dotted keys (`train.lr`) */
  params: Record<string, string | number | boolean | null>;
  /** the step the run starts from (0, or the checkpoint it resumed) */
  startStep: number;
  /** the step it ends at when nothing stops it */
  totalSteps: number;
}

export interface RunEnd {
  status: RunStatus;
  /** what stopped it: `SIGINT`, `early stop: no better eval/exact_accuracy in 3 evaluations`, an error message */
  reason: string | null;
  step: number;
  /** the final metrics (the last or best interval evaluation, the evaluate stage's), when there are any */
  metrics: Metrics;
}

export interface Tracker {
  /** e.g. `mlflow http://127.0.0.1:5000 (experiment trm, run 3f2a…)`, `jsonl runs/sudoku.jsonl` */
  readonly name: string;
  start(run: RunStart): Promise<void>;
  /** one record at an optimizer step: `kind` train (every step) or eval (every interval evaluation) */
  log(kind: 'train' | 'eval', step: number, epoch: number, metrics: Metrics): void;
  /** records the end and sends what is still queued; resolves when done (or given up) */
  end(end: RunEnd): Promise<void>;
}

/** Every tracker of a run as one (the calls fan out; one that fails does not stop the others). */
export function fanOut(trackers: Tracker[]): Tracker {
  return {
    name: trackers.map((t) => t.name).join(', '),
    async start(run) {
      await Promise.all(trackers.map((t) => t.start(run)));
    },
    log(kind, step, epoch, metrics) {
      for (const t of trackers) t.log(kind, step, epoch, metrics);
    },
    async end(end) {
      await Promise.all(trackers.map((t) => t.end(end)));
    },
  };
}

/** A resolved config as flat `section.key` params (arrays and objects as JSON text). */
export function flatParams(config: Record<string, unknown>, prefix = '', out: RunStart['params'] = {}): RunStart['params'] {
  for (const [k, v] of Object.entries(config)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) flatParams(v as Record<string, unknown>, key, out);
    else if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[key] = v;
    else if (v !== undefined) out[key] = JSON.stringify(v);
  }
  return out;
}
