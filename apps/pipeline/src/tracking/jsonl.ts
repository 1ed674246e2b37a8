// The metrics of a run as JSON lines, one record per line, appended to a file (a resumed run appends to the same
// file). Any tracker's importer can read it (README "Experiment tracking" shows W&B and MLflow); the records:
//   {"type":"run","time":ISO,"config":..,"run":..,"start_step":N,"total_steps":M,"params":{"train.lr":0.0001,...}}
//   {"type":"train","time":ISO,"step":N,"epoch":E,"metrics":{"train/loss":..,"train/lr":..,...}}    every step
//   {"type":"eval","time":ISO,"step":N,"epoch":E,"metrics":{"eval/exact_accuracy":..,...}}         every evaluation
//   {"type":"end","time":ISO,"step":N,"status":"finished|stopped|early_stop|failed","reason":..,"metrics":{..}}
// Steps are optimizer steps. A run resumed from a checkpoint writes a new "run" record with its start_step; records of
// a step written again after it replace the earlier ones.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Metrics, RunEnd, RunStart, Tracker } from './tracker.ts';

/** Non-finite numbers (a diverged loss) as JSON null, since JSON has no NaN. */
function finite(m: Metrics): Record<string, number | null> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Number.isFinite(v) ? v : null]));
}

export function jsonlTracker(file: string, warn: (message: string) => void): Tracker {
  let fd: number | null = null;
  let failed = false;
  const write = (record: Record<string, unknown>) => {
    if (failed || fd === null) return;
    try {
      fs.writeSync(fd, JSON.stringify({ ...record, time: new Date().toISOString() }) + '\n');
    } catch (e) {
      failed = true;
      warn(`tracking: cannot write ${file} (${(e as Error).message}); no more records go to it, training goes on`);
    }
  };
  return {
    name: `jsonl ${file}`,
    async start(run: RunStart) {
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fd = fs.openSync(file, 'a');
      } catch (e) {
        failed = true;
        warn(`tracking: cannot open ${file} (${(e as Error).message}); training goes on without it`);
        return;
      }
      write({ type: 'run', config: run.config, run: run.run, start_step: run.startStep, total_steps: run.totalSteps, params: run.params });
    },
    log(kind, step, epoch, metrics) {
      write({ type: kind, step, epoch, metrics: finite(metrics) });
    },
    async end(end: RunEnd) {
      write({ type: 'end', step: end.step, status: end.status, reason: end.reason, metrics: finite(end.metrics) });
      if (fd !== null) fs.closeSync(fd);
      fd = null;
    },
  };
}
