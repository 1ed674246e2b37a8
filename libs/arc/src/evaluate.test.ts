import { describe, expect, it } from 'vitest';
import type { AugmentedPuzzle, ExamplePrediction, Grid, RawPuzzle } from '@trm/dataset';
import { arc } from './index.ts';
import type { ArcAux } from './aux.ts';
import * as fs from 'node:fs';
import { ARC_DATA, fsIO } from './test-support.ts';
import { gridToCanvas } from './tokens.ts';
import { applyTransform, parseTransform } from './transform.ts';

// Hand-made predictions for the 4 evaluation tasks of arc-agi-1-per-task-samples (6ea4a07e has two test inputs).

const grid = (rows: number[][]): Grid => ({ rows: rows.length, cols: rows[0].length, cells: Uint8Array.from(rows.flat()) });
const WRONG = grid([[5, 5], [5, 5]]);

async function setup(numAug = 3) {
  const puzzles = await arc.fetch({ layout: 'per-task', path: `${ARC_DATA}/arc-agi-1-per-task-samples`, subsets: ['training', 'evaluation'], test_set_name: 'evaluation' }, fsIO(fs));
  const train = [...arc.augment(puzzles, { num_aug: numAug }, 0, 'train')].flat();
  const test = [...arc.augment(puzzles, { num_aug: numAug }, 0, 'test')].flat();
  const aux = arc.auxArtifacts!(puzzles, [...train, ...test].map(({ name, transform, split }) => ({ name, transform, split }))) as unknown as ArcAux;
  return { puzzles, test, aux };
}

/** One prediction per test example of each augmented copy; `answer(copy, i)` gives the grid in original colours/orientation. */
function predict(test: AugmentedPuzzle[], aux: ArcAux, answer: (copy: AugmentedPuzzle, i: number) => { grid: Grid; q: number }): ExamplePrediction[] {
  const preds: ExamplePrediction[] = [];
  for (const copy of test) {
    const t = parseTransform(copy.transform);
    copy.examples.forEach((ex, i) => {
      const enc = arc.encode(ex, {});
      const { grid: g, q } = answer(copy, i);
      preds.push({ index: preds.length, group: copy.group, puzzleIdentifier: aux.identifiers.indexOf(copy.name), inputs: enc.inputs, labels: enc.labels, preds: gridToCanvas(applyTransform(g, t)), qHalt: q });
    });
  }
  return preds;
}

const truth = (puzzles: RawPuzzle[], copy: AugmentedPuzzle, i: number) =>
  puzzles.find((p) => p.split === 'test' && p.id === copy.name.split('|||')[0])!.examples[i].output!;

describe('arc evaluate', () => {
  it('numbers identifiers train split first, 0 = blank, one per augmented task', async () => {
    const { aux, test } = await setup();
    expect(aux.identifiers[0]).toBe('<blank>');
    expect(aux.identifiers).toHaveLength(1 + 9 * 4); // 9 tasks x (original + 3), test names repeat train names
    expect(new Set(aux.identifiers).size).toBe(aux.identifiers.length);
    expect(test.every((p) => aux.identifiers.indexOf(p.name) > 0)).toBe(true);
    expect(Object.keys(aux.test_puzzles).sort()).toEqual(['00576224', '66e6c45b', '6ea4a07e', 'be03b35f']);
  });

  it('scores perfect predictions pass@1 = 1 and writes a Kaggle submission', async () => {
    const { puzzles, test, aux } = await setup();
    const preds = predict(test, aux, (copy, i) => ({ grid: truth(puzzles, copy, i), q: 0 }));
    const padding: ExamplePrediction = { ...preds[0], index: preds.length, puzzleIdentifier: 0, preds: new Uint8Array(900) };
    const res = arc.evaluate([...preds, padding], {}, aux as never);
    for (const k of [1, 2, 5, 10, 100, 1000]) expect(res.metrics[`ARC/pass@${k}`]).toBe(1);
    expect(res.metrics['ARC/test_inputs']).toBe(5);
    const sub = res.files!['submission.json'] as Record<string, Record<string, number[][]>[]>;
    expect(Object.keys(sub).sort()).toEqual(['00576224', '66e6c45b', '6ea4a07e', 'be03b35f']);
    expect(sub['6ea4a07e']).toHaveLength(2);
    const want = puzzles.find((p) => p.split === 'test' && p.id === '00576224')!.examples[0].output!;
    expect(sub['00576224'][0]).toEqual({ attempt_1: arcRows(want), attempt_2: arcRows(want) });
  });

  it('lets a wrong majority win pass@1 while the right minority appears at pass@2', async () => {
    const { puzzles, test, aux } = await setup(3);
    // augIndex 0..2 vote WRONG, augIndex 3 votes right (4 copies per test input)
    const preds = predict(test, aux, (copy, i) => ({ grid: copy.augIndex < 3 ? WRONG : truth(puzzles, copy, i), q: 0 }));
    const res = arc.evaluate(preds, { pass_ks: [1, 2] }, aux as never);
    expect(res.metrics['ARC/pass@1']).toBe(0);
    expect(res.metrics['ARC/pass@2']).toBe(1);
    const sub = res.files!['submission.json'] as Record<string, Record<string, number[][]>[]>;
    expect(sub['be03b35f'][0].attempt_1).toEqual(arcRows(WRONG));
  });

  it('breaks vote ties by mean sigmoid(q_halt)', async () => {
    const { puzzles, test, aux } = await setup(3);
    const run = (rightQ: number, wrongQ: number) =>
      arc.evaluate(predict(test, aux, (copy, i) => (copy.augIndex % 2 === 0 ? { grid: WRONG, q: wrongQ } : { grid: truth(puzzles, copy, i), q: rightQ })), { pass_ks: [1] }, aux as never);
    expect(run(2, -2).metrics['ARC/pass@1']).toBe(1);
    expect(run(-2, 2).metrics['ARC/pass@1']).toBe(0);
  });

  it('averages test inputs within a task, then tasks', async () => {
    const { puzzles, test, aux } = await setup(2);
    // right everywhere except the second test input of 6ea4a07e: that task scores 1/2, the mean is (1+1+1+0.5)/4
    const preds = predict(test, aux, (copy, i) => ({ grid: copy.name.startsWith('6ea4a07e') && i === 1 ? WRONG : truth(puzzles, copy, i), q: 0 }));
    expect(arc.evaluate(preds, { pass_ks: [1] }, aux as never).metrics['ARC/pass@1']).toBeCloseTo(3.5 / 4, 12);
    // no predictions for a task: it counts 0 and still gets (placeholder) attempts in the submission
    const some = preds.filter((p) => !aux.identifiers[p.puzzleIdentifier].startsWith('be03b35f'));
    const res = arc.evaluate(some, { pass_ks: [1] }, aux as never);
    expect(res.metrics['ARC/pass@1']).toBeCloseTo(2.5 / 4, 12);
    expect((res.files!['submission.json'] as Record<string, unknown[]>)['be03b35f']).toEqual([{ attempt_1: [[0]], attempt_2: [[0]] }]);
  });

  it('refuses predictions whose identifier does not match their input', async () => {
    const { puzzles, test, aux } = await setup(2);
    const preds = predict(test, aux, (copy, i) => ({ grid: truth(puzzles, copy, i), q: 0 }));
    const shifted = preds.map((p) => ({ ...p, puzzleIdentifier: p.puzzleIdentifier + 1 }));
    expect(() => arc.evaluate(shifted, {}, aux as never)).toThrow(/prediction row 0/);
    expect(() => arc.evaluate(preds, {}, null)).toThrow(/needs the aux artifacts/);
  });
});

function arcRows(g: Grid): number[][] {
  return Array.from({ length: g.rows }, (_, r) => Array.from(g.cells.subarray(r * g.cols, (r + 1) * g.cols)));
}
