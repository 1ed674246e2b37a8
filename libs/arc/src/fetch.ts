import type { RawExample, RawPuzzle, SourceIO } from '@trm/dataset';
import { createRng, deriveSeed } from '@trm/augment';
import { isTestSubset, readFetchConfig, type FetchConfig } from './config.ts';
import { ArcFormatError, parseGrid, parseJson, parseTask } from './parse.ts';
import { checkSplits, checkTaskOverlap } from './splits.ts';

// Loading ARC tasks from the Kaggle layout or the one-file-per-task layout, and placing their pairs in the
// splits as the reference does: every pair of a training task and the demonstration pairs of a test-set task go
// to training; the test pairs of a test-set task form the test split.

interface LoadedTask {
  id: string;
  examples: RawExample[];
}

/** Fetch the raw puzzles of both splits (train-split puzzles in subset order, then a test-split copy per test task). */
export async function fetchArc(cfg: Record<string, unknown>, io: SourceIO): Promise<RawPuzzle[]> {
  checkSplits(cfg);
  const fc = readFetchConfig(cfg);
  const bySubset = new Map<string, LoadedTask[]>();
  for (const subset of fc.subsets) {
    if (bySubset.has(subset)) throw new ArcFormatError(`arc: subset "${subset}" is listed twice in fetch.subsets`);
    const tasks = fc.layout === 'kaggle' ? await loadKaggle(fc, subset, io) : await loadPerTask(fc, subset, io);
    bySubset.set(subset, subsample(tasks, fc, subset));
    io.log(`arc: ${subset}: ${bySubset.get(subset)!.length} tasks`);
  }
  checkTaskOverlap(new Map([...bySubset].map(([s, tasks]) => [s, tasks.map((t) => t.id)])), (s) => isTestSubset(fc, s));
  checkUniqueIds(bySubset);
  return toPuzzles(fc, bySubset);
}

function toPuzzles(fc: FetchConfig, bySubset: Map<string, LoadedTask[]>): RawPuzzle[] {
  const train: RawPuzzle[] = [];
  const test: RawPuzzle[] = [];
  for (const [subset, tasks] of bySubset) {
    const source = `${fc.layout}:${subset}`;
    for (const task of tasks) {
      if (!isTestSubset(fc, subset)) {
        train.push({ id: task.id, split: 'train', examples: task.examples, source });
        continue;
      }
      train.push({ id: task.id, split: 'train', examples: task.examples.filter((e) => e.role === 'train'), source });
      test.push({ id: task.id, split: 'test', examples: task.examples.filter((e) => e.role === 'test'), source });
    }
  }
  return [...train, ...test];
}

async function loadKaggle(fc: FetchConfig, subset: string, io: SourceIO): Promise<LoadedTask[]> {
  const file = io.join(fc.path, `${fc.prefix}_${subset}_challenges.json`);
  if (!(await io.exists(file))) throw new ArcFormatError(`arc: ${file}: not found (subset "${subset}", layout kaggle)`);
  const challenges = parseJson(await io.readText(file), file);
  if (typeof challenges !== 'object' || challenges === null || Array.isArray(challenges)) {
    throw new ArcFormatError(`arc: ${file}: expected an object {task id: {train, test}}`);
  }
  const solFile = io.join(fc.path, `${fc.prefix}_${subset}_solutions.json`);
  const solutions = (await io.exists(solFile)) ? parseJson(await io.readText(solFile), solFile) : null;
  if (solutions === null) io.log(`arc: ${solFile} not found: the test pairs of ${subset} have no answers`);
  else if (typeof solutions !== 'object' || Array.isArray(solutions)) throw new ArcFormatError(`arc: ${solFile}: expected an object {task id: [grid per test input]}`);
  const out: LoadedTask[] = [];
  for (const id of Object.keys(challenges).sort()) {
    const examples = parseTask((challenges as Record<string, unknown>)[id], { file, task: id });
    if (solutions) attachSolutions(examples, (solutions as Record<string, unknown>)[id], solFile, id);
    out.push({ id, examples });
  }
  return out;
}

function attachSolutions(examples: RawExample[], grids: unknown, file: string, task: string): void {
  const tests = examples.filter((e) => e.role === 'test');
  if (!Array.isArray(grids)) throw new ArcFormatError(`arc: ${file}: task ${task}: expected a list of ${tests.length} solution grid(s), got ${grids === undefined ? 'nothing' : typeof grids}`);
  if (grids.length !== tests.length) throw new ArcFormatError(`arc: ${file}: task ${task}: ${grids.length} solution grid(s) for ${tests.length} test input(s)`);
  tests.forEach((ex, i) => {
    ex.output = parseGrid(grids[i], { file, task }, `solution ${i}`);
  });
}

async function loadPerTask(fc: FetchConfig, subset: string, io: SourceIO): Promise<LoadedTask[]> {
  const dir = io.join(fc.path, subset);
  if (!(await io.exists(dir))) throw new ArcFormatError(`arc: ${dir}: not found (subset "${subset}", layout per-task)`);
  const names = (await io.listDir(dir)).filter((n) => n.endsWith('.json')).sort();
  if (names.length === 0) throw new ArcFormatError(`arc: ${dir}: no .json task files`);
  const out: LoadedTask[] = [];
  for (const name of names) {
    const file = io.join(dir, name);
    const id = name.slice(0, -'.json'.length);
    out.push({ id, examples: parseTask(parseJson(await io.readText(file), file), { file, task: id }) });
  }
  return out;
}

/** At most `max_tasks` tasks per subset, a seeded sample kept in id order. */
function subsample(tasks: LoadedTask[], fc: FetchConfig, subset: string): LoadedTask[] {
  if (fc.max_tasks === 0 || tasks.length <= fc.max_tasks) return tasks;
  const order = createRng(deriveSeed(fc.seed, 'arc-subsample', subset)).permutation(tasks.length);
  const keep = Array.from(order.subarray(0, fc.max_tasks)).sort((a, b) => a - b);
  return keep.map((i) => tasks[i]);
}

function checkUniqueIds(bySubset: Map<string, LoadedTask[]>): void {
  const seen = new Map<string, string>();
  for (const [subset, tasks] of bySubset) {
    for (const { id } of tasks) {
      const first = seen.get(id);
      if (first !== undefined) {
        throw new ArcFormatError(`arc: task ${id} appears in subsets "${first}" and "${subset}": drop one of them (a task must be loaded once)`);
      }
      seen.set(id, subset);
    }
  }
}
