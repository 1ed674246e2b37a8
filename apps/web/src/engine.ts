// The model in the page and one solve, a supervision step at a time (the same API as `trm solve`: @trm/trm's
// loadModel and solveSteps, the dataset lib's queries, answers and check).
import type { AnswerCheck, DatasetLib, Grid, RawPuzzle, SolveQuery } from '@trm/dataset';
import { loadModel, solveSteps, type LoadedModel, type SolveStep } from '@trm/trm';
import type { Session } from './session.ts';

/** A model file's bytes, loaded and checked against the session's dataset. */
export function modelFromBytes(bytes: Uint8Array, name: string, lib: DatasetLib, session: Session): LoadedModel {
  const shape = lib.shape(session.encode);
  return loadModel(bytes, name, {
    seqLen: shape.seqLen,
    vocabSize: shape.vocabSize,
    numPuzzleIdentifiers: session.identifiersKnown ? session.identifiers.length : undefined,
    what: `the ${lib.name} data of config ${session.config}`,
  });
}

export interface ShownStep {
  step: number;
  /** the traced row's prediction in the puzzle's frame */
  grid: Grid;
  /** the traced row's outputs (tokens, sigmoid(q_halt)) */
  out: SolveStep;
  /** wall milliseconds of the model call of this step (all rows of the puzzle) */
  ms: number;
}

export interface Outcome {
  steps: ShownStep[];
  haltedAt: number;
  confident: boolean;
  /** attempts of the first test example */
  attempts: Grid[];
  answer: string;
  check: AnswerCheck;
}

/**
 * Solve the first test example of `puzzle`, calling `onStep` after every supervision step of its traced row (its
 * un-augmented copy); stops at the halting step unless `allSteps` (ARC always runs every step and votes, as the
 * evaluate stage does). `pause` lets the page paint between steps.
 */
export async function solvePuzzle(
  model: LoadedModel, lib: DatasetLib, session: Session, puzzle: RawPuzzle, allSteps: boolean,
  onStep: (s: ShownStep, halts: boolean) => void, pause: () => Promise<void>,
): Promise<Outcome> {
  const solving = lib.solving!;
  const queries: SolveQuery[] = solving.queries(puzzle, session.encode, { identifiers: session.identifiers, aux: session.aux });
  const tests = puzzle.examples.filter((e) => e.role === 'test');
  const votes = queries.length > tests.length;
  const traced = queries.findIndex((q) => q.test === 0 && q.transform === '') >= 0 ? queries.findIndex((q) => q.test === 0 && q.transform === '') : queries.findIndex((q) => q.test === 0);
  const steps: ShownStep[] = [];
  const last: SolveStep[] = [];
  let haltedAt = 0;
  const run = solveSteps(model.model, queries, allSteps || votes ? 'max' : 'halt');
  for (;;) {
    const t0 = performance.now();
    const next = await run.next();
    const ms = performance.now() - t0;
    if (next.done) break;
    const { step, outputs, active } = next.value;
    outputs.forEach((o, k) => (last[k] = o));
    if (!active[traced] && !allSteps && !votes) continue;
    const out = outputs[traced];
    const shown = { step, grid: solving.decodeAnswer(out.prediction, queries[traced], session.encode), out, ms };
    steps.push(shown);
    const halts = haltedAt === 0 && out.qHaltLogit > 0;
    if (halts) haltedAt = step;
    onStep(shown, halts);
    await pause();
  }
  const confident = haltedAt > 0;
  if (!confident) haltedAt = model.arch.halt_max_steps;
  // the answer: the prediction where the traced row stopped (its halting step, or the last one run)
  const upTo = allSteps || votes ? steps.length : haltedAt;
  const finals = queries.map((_, k) => (k === traced ? { preds: steps[upTo - 1].out.prediction, qHalt: steps[upTo - 1].out.qHaltLogit } : { preds: last[k].prediction, qHalt: last[k].qHaltLogit }));
  const attempts = solving.answers(puzzle, queries, finals, session.encode, session.evaluate)[0];
  return { steps: steps.slice(0, upTo), haltedAt, confident, attempts, answer: solving.formatAnswer(attempts), check: solving.check(tests[0], attempts) };
}
