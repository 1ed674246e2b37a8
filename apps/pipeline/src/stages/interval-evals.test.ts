// The pure parts of evaluation during training: its schedule, the test subsample, early stopping and the table.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { toyCopySplit } from '@trm/trm';
import { readTable } from '../artifacts/open-stage.ts';
import { writeArrowFile } from '../artifacts/arrow-table.ts';
import { bestEval, earlyStopReason, evalSchedule, intervalColumns, intervalRowsFromTable, intervalTableRows, metricOf, taskNames, type IntervalEval } from './interval-evals.ts';
import { subsampleSplit } from './interval-eval-run.ts';

// 100 groups of 1 example, batch 10: 10 steps per epoch
const base = { evalInterval: 5, minEvalInterval: 0, epochs: 20, globalBatchSize: 10, numGroups: 100, meanPuzzleExamples: 1, lastStep: 200 };

describe('evalSchedule', () => {
  it('evaluates after every eval_interval epochs; the last interval ends at the last step', () => {
    expect(evalSchedule(base)).toEqual([50, 100, 150, 200]);
    expect(evalSchedule({ ...base, evalInterval: 0 })).toEqual([]);
  });
  it('min_eval_interval: the first interval (0-based) evaluated, as pretrain.py counts it', () => {
    expect(evalSchedule({ ...base, minEvalInterval: 2 })).toEqual([150, 200]);
    expect(evalSchedule({ ...base, minEvalInterval: 4 })).toEqual([]);
  });
  it('a run that ends between intervals (max_steps, epochs not a multiple) is evaluated at its end too', () => {
    expect(evalSchedule({ ...base, lastStep: 120 })).toEqual([50, 100, 120]);
    expect(evalSchedule({ ...base, epochs: 22, lastStep: 220 })).toEqual([50, 100, 150, 200, 220]);
    expect(evalSchedule({ ...base, minEvalInterval: 3, lastStep: 120 })).toEqual([]); // ends in interval 2, before the first evaluated
    expect(evalSchedule({ ...base, minEvalInterval: 2, lastStep: 120 })).toEqual([120]);
  });
  it('fractional steps per epoch round down, as the schedule does', () => {
    // 33 groups x 3 examples / batch 16 = 6.1875 steps per epoch; total floor(10 x 6.1875) = 61
    expect(evalSchedule({ evalInterval: 3, minEvalInterval: 0, epochs: 10, globalBatchSize: 16, numGroups: 33, meanPuzzleExamples: 3, lastStep: 61 })).toEqual([18, 37, 55, 61]);
  });
});

describe('subsampleSplit', () => {
  const split = toyCopySplit({ groups: 40, perGroup: 3, seqLen: 4, vocab: 8, numIds: 5, seed: 1 });
  it('takes whole groups, evenly spaced, deterministically', () => {
    const a = subsampleSplit(split, 30);
    expect(a.split.puzzleIdentifiers.length).toBe(30);
    expect([...new Set(a.split.groupIndex)]).toEqual([0, 4, 8, 12, 16, 20, 24, 28, 32, 36]);
    for (let i = 0; i < a.rows.length; i++) {
      const r = a.rows[i];
      expect(a.split.groupIndex[i]).toBe(split.groupIndex[r]);
      expect([...a.split.inputs.subarray(i * 4, i * 4 + 4)]).toEqual([...split.inputs.subarray(r * 4, r * 4 + 4)]);
      expect([...a.split.labels.subarray(i * 4, i * 4 + 4)]).toEqual([...split.labels.subarray(r * 4, r * 4 + 4)]);
    }
    expect([...subsampleSplit(split, 30).rows]).toEqual([...a.rows]);
  });
  it('0 or more than the split: all of it', () => {
    expect(subsampleSplit(split, 0).split).toBe(split);
    expect(subsampleSplit(split, 500).split).toBe(split);
    expect(subsampleSplit(split, 1).split.puzzleIdentifiers.length).toBe(3); // at least one group
  });
});

const row = (step: number, exact: number, task: Record<string, number> = { valid_solution_rate: exact }): IntervalEval => ({
  step, epoch: step / 10, examples: 200, exact_accuracy: exact, token_accuracy: 0.5 + exact / 2, q_halt_accuracy: 0.9, mean_steps: 4,
  exact_accuracy_per_step: [exact / 2, exact], accuracy_per_step: [0.4, 0.5 + exact / 2], task,
});

describe('early stopping and the best interval', () => {
  const rows = [row(10, 0.2), row(20, 0.5), row(30, 0.5), row(40, 0.4), row(50, 0.45)];
  it('stops after `patience` evaluations without a higher value than the best before them', () => {
    expect(earlyStopReason(rows.slice(0, 3), 'exact_accuracy', 2)).toBeNull();
    expect(earlyStopReason(rows.slice(0, 4), 'exact_accuracy', 2)).toMatch(/^early stop: exact_accuracy did not improve on 50\.00% \(step 20\) in the 2 evaluations since \(train\.early_stop = 2\)$/);
    expect(earlyStopReason(rows, 'exact_accuracy', 3)).toMatch(/did not improve on 50\.00% \(step 20\) in the 3 evaluations/);
    expect(earlyStopReason(rows, 'exact_accuracy', 4)).toBeNull(); // step 20 improved on step 10
    expect(earlyStopReason(rows, 'exact_accuracy', 0)).toBeNull();
    expect(earlyStopReason([row(10, 0.2), row(20, 0.3), row(30, 0.1)], 'exact_accuracy', 1)).toMatch(/step 20/);
  });
  it('the best is the first of the highest; task metrics can be watched; a metric it lacks is an error naming the others', () => {
    expect(bestEval(rows, 'exact_accuracy')!.step).toBe(20);
    expect(bestEval(rows, 'valid_solution_rate')!.step).toBe(20);
    expect(bestEval([], 'exact_accuracy')).toBeNull();
    expect(() => metricOf(rows[0], 'pass@2')).toThrow(/train\.early_stop_metric = "pass@2": not a metric of this evaluation; it has exact_accuracy, token_accuracy, q_halt_accuracy, valid_solution_rate/);
    expect(() => metricOf(rows[0], 'step')).toThrow(/not a metric/);
  });
});

describe('the table', () => {
  it('round-trips through Arrow with per-step and task columns', async () => {
    const rows = [row(10, 0.25, { 'ARC/pass@2': 0.5 }), row(20, 0.75, { 'ARC/pass@2': 1, extra: 3 })];
    const names = taskNames(rows);
    expect(names).toEqual(['ARC/pass@2', 'extra']);
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'trm-evals-')), 'evals.arrow');
    await writeArrowFile(file, intervalColumns(2, names), intervalTableRows(rows, names));
    const back = intervalRowsFromTable(await readTable(file), file);
    expect(back[0]).toEqual({ ...rows[0], task: { 'ARC/pass@2': 0.5 } }); // a task metric a row lacks is null in the file
    expect(back[1]).toEqual(rows[1]);
  });
});
