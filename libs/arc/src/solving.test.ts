import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRng } from '@trm/augment';
import { PuzzleInputError, type ExamplePrediction, type Grid } from '@trm/dataset';
import { arc } from './index.ts';
import type { ArcAux } from './aux.ts';
import { ARC_DATA, fsIO } from './test-support.ts';
import { gridToJson } from './parse.ts';
import { cropTokens, gridToCanvas } from './tokens.ts';
import { applyTransform, parseTransform } from './transform.ts';

const solving = arc.solving!;
const SAMPLES = `${ARC_DATA}/arc-agi-1-per-task-samples`;
const taskText = (id: string) => fs.readFileSync(`${SAMPLES}/evaluation/${id}.json`, 'utf8');

async function setup() {
  const puzzles = await arc.fetch({ layout: 'per-task', path: SAMPLES, subsets: ['training', 'evaluation'], test_set_name: 'evaluation' }, fsIO(fs));
  const train = [...arc.augment(puzzles, { num_aug: 3 }, 0, 'train')].flat();
  const test = [...arc.augment(puzzles, { num_aug: 3 }, 0, 'test')].flat();
  const aux = arc.auxArtifacts!(puzzles, [...train, ...test].map(({ name, transform, split }) => ({ name, transform, split }))) as unknown as ArcAux;
  return { test, aux, context: { identifiers: aux.identifiers, aux: aux as unknown as Record<string, unknown> } };
}

describe('arc parse', () => {
  it('reads a one-file-per-task JSON, named by its file, and a one-task object keyed by its id', () => {
    const p = solving.parse(taskText('6ea4a07e'), {}, { name: '6ea4a07e' });
    expect(p.id).toBe('6ea4a07e');
    expect(p.examples.filter((e) => e.role === 'test')).toHaveLength(2);
    const keyed = solving.parse(JSON.stringify({ abc: JSON.parse(taskText('66e6c45b')) }), {});
    expect(keyed.id).toBe('abc');
    expect(JSON.parse(solving.formatPuzzle(p))).toEqual(JSON.parse(taskText('6ea4a07e')));
  });
  it.each([
    ['broken JSON', '{"train": [', /the task is not valid JSON/],
    ['a missing field', '{"train": []}', /field train: expected at least one pair/],
    ['a colour out of range', '{"train": [{"input": [[1]], "output": [[12]]}], "test": [{"input": [[1]]}]}', /cell \(0, 0\) is 12, expected a colour 0..9/],
  ])('refuses %s with a PuzzleInputError', (_, text, message) => {
    expect(() => solving.parse(text, {})).toThrow(PuzzleInputError);
    expect(() => solving.parse(text, {})).toThrow(message);
  });
});

describe('arc solving as the evaluate stage', () => {
  it('runs every augmented copy the model knows, as the encoded test split holds them, and votes as evaluateArc', async () => {
    const { test, aux, context } = await setup();
    for (const id of ['6ea4a07e', '66e6c45b']) {
      // found by name, and by its test inputs when unnamed (stdin)
      const puzzle = solving.parse(taskText(id), {}, { name: id });
      const queries = solving.queries(puzzle, {}, context);
      expect(solving.queries(solving.parse(taskText(id), {}), {}, context).map((q) => q.puzzleIdentifier)).toEqual(queries.map((q) => q.puzzleIdentifier));
      const copies = test.filter((c) => c.name.split('|||')[0] === id);
      const rows = copies.flatMap((c) => c.examples.map((e) => ({ name: c.name, inputs: arc.encode(e, {}).inputs })));
      expect(queries.map((q) => aux.identifiers[q.puzzleIdentifier])).toEqual(rows.map((r) => r.name));
      queries.forEach((q, k) => expect(Array.from(q.inputs)).toEqual(Array.from(rows[k].inputs)));

      // predictions: the right answer from most copies, a wrong one from the first; q_halt decides ties
      const rng = createRng(3);
      const results = queries.map((q, k) => {
        const t = parseTransform(q.transform);
        const right = puzzle.examples.filter((e) => e.role === 'test')[q.test].output!;
        const grid: Grid = k === 0 ? { rows: 1, cols: 1, cells: Uint8Array.of(7) } : right;
        return { preds: gridToCanvas(applyTransform(grid, t)), qHalt: rng.next() * 4 - 2 };
      });
      const answers = solving.answers(puzzle, queries, results, {}, {});
      const preds: ExamplePrediction[] = queries.map((q, k) => ({ index: k, group: 0, puzzleIdentifier: q.puzzleIdentifier, inputs: q.inputs, labels: new Uint8Array(900), preds: results[k].preds, qHalt: results[k].qHalt }));
      const submission = (arc.evaluate(preds, { submission_k: 2 }, aux as unknown as Record<string, unknown>).files!['submission.json'] as Record<string, Record<string, number[][]>[]>)[id];
      expect(answers.map((a) => a.map(gridToJson))).toEqual(submission.map((s) => [s.attempt_1, s.attempt_2]));
      puzzle.examples.filter((e) => e.role === 'test').forEach((e, i) => expect(solving.check(e, answers[i])).toEqual({ valid: true, reason: '' }));
      // the decoded prediction of a copy is in the task's own frame
      expect(gridToJson(solving.decodeAnswer(results[1].preds, queries[1], {}))).toEqual(gridToJson(puzzle.examples.filter((e) => e.role === 'test')[queries[1].test].output!));
      expect(JSON.parse(solving.formatAnswer(answers[0]))).toEqual([submission[0].attempt_1, submission[0].attempt_2]);
    }
  });
  it('refuses a task the model was not trained on, and cannot check a test input without output', async () => {
    const { context } = await setup();
    const task = JSON.parse(taskText('66e6c45b'));
    task.test[0].input[0][0] = 5;
    expect(() => solving.queries(solving.parse(JSON.stringify(task), {}), {}, context)).toThrow(/the model was not trained on this task/);
    delete task.test[0].output;
    const p = solving.parse(JSON.stringify(task), {});
    expect(solving.check(p.examples[p.examples.length - 1], [cropTokens(gridToCanvas({ rows: 1, cols: 1, cells: Uint8Array.of(1) }))])).toEqual({ valid: null, reason: 'the task gives no output for this test input' });
  });
});
