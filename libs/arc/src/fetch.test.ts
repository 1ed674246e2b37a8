import { describe, expect, it } from 'vitest';
import { arc, checkSplits } from './index.ts';
import * as fs from 'node:fs';
import { ARC_DATA, memoryIO, fsIO } from './test-support.ts';

describe('arc fetch: real files', () => {
  it('reads the kaggle layout: demonstrations of evaluation tasks train, their test inputs form the test split', async () => {
    const puzzles = await arc.fetch({ layout: 'kaggle', path: `${ARC_DATA}/kaggle-combined`, subsets: ['training', 'evaluation', 'concept'], max_tasks: 3 }, fsIO(fs));
    const train = puzzles.filter((p) => p.split === 'train');
    const test = puzzles.filter((p) => p.split === 'test');
    expect(train).toHaveLength(9);
    expect(test).toHaveLength(3);
    for (const t of test) {
      const demo = train.find((p) => p.id === t.id)!;
      expect(demo.source).toBe('kaggle:evaluation');
      expect(demo.examples.every((e) => e.role === 'train' && e.output !== null)).toBe(true);
      expect(t.examples.every((e) => e.role === 'test' && e.output !== null)).toBe(true);
    }
    // a training task keeps its test pairs (with solutions) in the training split
    const tr = train.find((p) => p.source === 'kaggle:training')!;
    expect(tr.examples.some((e) => e.role === 'test' && e.output !== null)).toBe(true);
  });

  it('subsamples max_tasks deterministically (seeded)', async () => {
    const cfg = { path: `${ARC_DATA}/kaggle-combined`, subsets: ['concept'], test_set_name: 'none', max_tasks: 4 };
    const a = (await arc.fetch(cfg, fsIO(fs))).map((p) => p.id);
    const b = (await arc.fetch(cfg, fsIO(fs))).map((p) => p.id);
    const c = (await arc.fetch({ ...cfg, seed: 1 }, fsIO(fs))).map((p) => p.id);
    expect(a).toEqual(b);
    expect(a).toHaveLength(4);
    expect(c).not.toEqual(a);
  });

  it('reads the one-file-per-task layout, including a task with two test inputs', async () => {
    const puzzles = await arc.fetch({ layout: 'per-task', path: `${ARC_DATA}/arc-agi-1-per-task-samples`, subsets: ['training', 'evaluation'], test_set_name: 'evaluation' }, fsIO(fs));
    expect(puzzles.filter((p) => p.split === 'train').map((p) => p.id)).toEqual(['007bbfb7', '25ff71a9', '6150a2bd', 'd631b094', 'e9afcf9a', '00576224', '66e6c45b', '6ea4a07e', 'be03b35f']);
    const test = puzzles.filter((p) => p.split === 'test');
    expect(test.map((p) => p.id)).toEqual(['00576224', '66e6c45b', '6ea4a07e', 'be03b35f']);
    const two = puzzles.find((p) => p.id === '25ff71a9')!; // two test inputs, kept in training
    expect(two.examples.filter((e) => e.role === 'test')).toHaveLength(2);
    expect(test.find((p) => p.id === '6ea4a07e')!.examples).toHaveLength(2); // two test inputs, in the test split
    const first = puzzles.find((p) => p.id === '007bbfb7')!.examples[0];
    expect([first.input.rows, first.input.cols, first.output!.rows, first.output!.cols]).toEqual([3, 3, 9, 9]);
    expect(Array.from(first.input.cells)).toEqual([0, 7, 7, 7, 7, 7, 0, 7, 7]);
  });

  it('reads ConceptARC minimal tasks', async () => {
    const puzzles = await arc.fetch({ layout: 'per-task', path: `${ARC_DATA}/conceptarc-minimal`, subsets: ['MinimalTasks'], test_set_name: 'MinimalTasks' }, fsIO(fs));
    expect(puzzles.filter((p) => p.split === 'test')).toHaveLength(16);
    expect(puzzles.find((p) => p.id === 'CopyMinimal' && p.split === 'train')!.examples.length).toBeGreaterThan(0);
  });
});

describe('arc fetch: bad input', () => {
  const task = (input: unknown, output: unknown = [[1]]) => JSON.stringify({ t1: { train: [{ input: [[1]], output: [[1]] }, { input, output }], test: [{ input: [[0]] }] } });
  const fetchOne = (challenges: string, solutions = JSON.stringify({ t1: [[[2]]] })) =>
    arc.fetch({ path: 'd', subsets: ['training'], test_set_name: 'x' }, memoryIO({ 'd/arc-agi_training_challenges.json': challenges, 'd/arc-agi_training_solutions.json': solutions }));

  it('names file, task, pair and field for ragged rows, bad colours and bad sizes', async () => {
    await expect(fetchOne(task([[1, 2], [3]]))).rejects.toThrow('arc: d/arc-agi_training_challenges.json: task t1: train pair 1 input: row 1 has 1 cells, expected 2 (rows must be rectangular)');
    await expect(fetchOne(task([[1]], [[1, 10]]))).rejects.toThrow('task t1: train pair 1 output: cell (0, 1) is 10, expected a colour 0..9');
    await expect(fetchOne(task(Array.from({ length: 31 }, () => [1])))).rejects.toThrow('train pair 1 input: 31 rows, expected 1..30');
    await expect(fetchOne(task([[]]))).rejects.toThrow('train pair 1 input: 0 columns, expected 1..30');
    const noOutput = JSON.stringify({ t1: { train: [{ input: [[1]] }], test: [{ input: [[0]] }] } });
    await expect(fetchOne(noOutput)).rejects.toThrow('task t1: train pair 0: field output is missing');
    await expect(fetchOne(JSON.stringify({ t1: { train: [], test: [{ input: [[0]] }] } }))).rejects.toThrow('task t1: field train: expected at least one pair');
  });

  it('names the solutions file when answers do not match the test inputs', async () => {
    await expect(fetchOne(task([[1]]), JSON.stringify({ t1: [[[1]], [[2]]] }))).rejects.toThrow('arc: d/arc-agi_training_solutions.json: task t1: 2 solution grid(s) for 1 test input(s)');
    await expect(fetchOne(task([[1]]), JSON.stringify({ t1: [[['a']]] }))).rejects.toThrow('solutions.json: task t1: solution 0: cell (0, 0) is "a"');
  });

  it('reports invalid JSON and missing files with their path', async () => {
    await expect(fetchOne('{"t1": ')).rejects.toThrow(/^arc: d\/arc-agi_training_challenges.json:1:8: invalid JSON: unexpected end of text, expected a value/);
    await expect(arc.fetch({ path: 'd', subsets: ['nope'] }, memoryIO({}))).rejects.toThrow('arc: d/arc-agi_nope_challenges.json: not found');
  });

  it('keeps test inputs without answers (no solutions file) with output null', async () => {
    const io = memoryIO({ 'd/arc-agi_evaluation_challenges.json': task([[3]]) });
    const puzzles = await arc.fetch({ path: 'd', subsets: ['evaluation'] }, io);
    expect(puzzles.find((p) => p.split === 'test')!.examples[0].output).toBeNull();
  });
});

describe('arc split check', () => {
  it('refuses ARC-AGI-2 training with ARC-AGI-1 evaluation, statically and inside fetch', async () => {
    const bad = { subsets: ['training2', 'evaluation', 'concept'], test_set_name: 'evaluation' };
    expect(() => checkSplits(bad)).toThrow(/refusing to train on ARC-AGI-2 training .* ARC-AGI-1 evaluation/);
    await expect(arc.fetch({ ...bad, path: `${ARC_DATA}/kaggle-combined` }, fsIO(fs))).rejects.toThrow(/refusing to train on ARC-AGI-2 training/);
    expect(() => checkSplits({ subsets: ['training', 'evaluation', 'concept'], test_set_name: 'evaluation' })).not.toThrow();
    expect(() => checkSplits({ subsets: ['training2', 'evaluation2', 'concept'], test_set_name: 'evaluation2' })).not.toThrow();
  });

  it('refuses any test task that also sits in a training subset (by task id)', async () => {
    const t = JSON.stringify({ same: { train: [{ input: [[1]], output: [[1]] }], test: [{ input: [[0]] }] } });
    const io = memoryIO({ 'd/arc-agi_mine_challenges.json': t, 'd/arc-agi_holdout_challenges.json': t });
    await expect(arc.fetch({ path: 'd', subsets: ['mine', 'holdout'], test_set_name: 'holdout' }, io)).rejects.toThrow('1 task(s) of test subset "holdout" also appear in training subset(s) mine (e.g. same)');
  });
});
