import type { AuxArtifacts, ExamplePrediction, Grid, TaskEvaluation } from '@trm/dataset';
import type { ArcAux } from './aux.ts';
import { readEvaluateConfig } from './config.ts';
import { gridHash } from './hash.ts';
import { gridToJson, parseGrid } from './parse.ts';
import { cropTokens } from './tokens.ts';
import { invertTransform, parseTransform, splitName } from './transform.ts';

// ARC scoring as the reference evaluator: every augmented copy of a test input votes for its prediction
// (cropped, augmentation undone); candidates rank by (votes, mean sigmoid(q_halt)), ties keep first-seen order;
// pass@K per test input, averaged within a task, then over all test tasks.

interface Candidate {
  grid: Grid;
  votes: number;
  qSum: number;
}

interface TestInput {
  inputHash: number;
  labelHash: number | null;
  /** prediction hash -> candidate, in order of first vote */
  candidates: Map<number, Candidate>;
}

export function evaluateArc(preds: ExamplePrediction[], cfg: Record<string, unknown>, aux: AuxArtifacts | null): TaskEvaluation {
  const ec = readEvaluateConfig(cfg);
  const { identifiers, tasks } = readAux(aux);
  for (const p of preds) {
    if (p.puzzleIdentifier === 0) continue; // padding rows
    const name = identifiers[p.puzzleIdentifier];
    if (name === undefined) throw new Error(`arc.evaluate: prediction row ${p.index}: puzzle identifier ${p.puzzleIdentifier} is not in aux.identifiers (${identifiers.length} names)`);
    const { task, transform } = splitName(name);
    const t = parseTransform(transform);
    const tests = tasks.get(task);
    if (!tests) throw new Error(`arc.evaluate: prediction row ${p.index}: identifier ${p.puzzleIdentifier} names task ${task}, which is not a test task of aux.test_puzzles`);
    const inputHash = gridHash(invertTransform(cropTokens(p.inputs), t));
    const target = tests.find((x) => x.inputHash === inputHash);
    if (!target) {
      throw new Error(`arc.evaluate: prediction row ${p.index}: its input, with ${name}'s augmentation undone, matches no test input of task ${task} (identifier map out of step with the encoded table?)`);
    }
    const grid = invertTransform(cropTokens(p.preds), t);
    const h = gridHash(grid);
    const c = target.candidates.get(h) ?? { grid, votes: 0, qSum: 0 };
    c.votes += 1;
    c.qSum += 1 / (1 + Math.exp(-p.qHalt));
    target.candidates.set(h, c);
  }

  const correct = ec.pass_ks.map(() => 0);
  const submission: Record<string, Record<string, number[][]>[]> = {};
  let withPredictions = 0;
  let testInputs = 0;
  for (const [task, tests] of tasks) {
    const taskCorrect = ec.pass_ks.map(() => 0);
    submission[task] = tests.map((x) => {
      testInputs++;
      const ranked = rank(x.candidates);
      if (ranked.length > 0) withPredictions++;
      ec.pass_ks.forEach((k, i) => {
        if (x.labelHash !== null && ranked.slice(0, k).some(([h]) => h === x.labelHash)) taskCorrect[i] += 1;
      });
      const attempts: Record<string, number[][]> = {};
      for (let a = 0; a < ec.submission_k; a++) {
        const pick = ranked[a] ?? ranked[0];
        attempts[`attempt_${a + 1}`] = pick ? gridToJson(pick[1].grid) : [[0]];
      }
      return attempts;
    });
    taskCorrect.forEach((n, i) => (correct[i] += n / tests.length));
  }
  const metrics: Record<string, number> = {};
  ec.pass_ks.forEach((k, i) => (metrics[`ARC/pass@${k}`] = tasks.size > 0 ? correct[i] / tasks.size : 0));
  metrics['ARC/test_tasks'] = tasks.size;
  metrics['ARC/test_inputs'] = testInputs;
  metrics['ARC/test_inputs_with_predictions'] = withPredictions;
  return { metrics, files: { 'submission.json': submission } };
}

/** Candidates by (votes, mean sigmoid(q_halt)) descending; a stable sort keeps first-seen order on ties. */
function rank(candidates: Map<number, Candidate>): [number, Candidate][] {
  const mean = (c: Candidate) => c.qSum / c.votes;
  return [...candidates].sort(([, a], [, b]) => b.votes - a.votes || mean(b) - mean(a));
}

function readAux(aux: AuxArtifacts | null): { identifiers: string[]; tasks: Map<string, TestInput[]> } {
  if (!aux) throw new Error('arc.evaluate: needs the aux artifacts of the encode stage (identifiers, test_puzzles)');
  const { identifiers, test_puzzles } = aux as unknown as ArcAux;
  if (!Array.isArray(identifiers) || !identifiers.every((x) => typeof x === 'string')) throw new Error('arc.evaluate: aux.identifiers must be a list of names');
  if (typeof test_puzzles !== 'object' || test_puzzles === null) throw new Error('arc.evaluate: aux.test_puzzles must be an object {task id: {test: [...]}}');
  const tasks = new Map<string, TestInput[]>();
  for (const [task, value] of Object.entries(test_puzzles)) {
    const where = { file: 'aux.test_puzzles', task };
    if (!Array.isArray(value?.test) || value.test.length === 0) throw new Error(`arc.evaluate: aux.test_puzzles: task ${task}: expected a non-empty test list`);
    tasks.set(
      task,
      value.test.map((pair, i) => ({
        inputHash: gridHash(parseGrid(pair.input, where, `test pair ${i} input`)),
        labelHash: pair.output ? gridHash(parseGrid(pair.output, where, `test pair ${i} output`)) : null,
        candidates: new Map(),
      })),
    );
  }
  return { identifiers, tasks };
}
