// `trm solve`: a trained model on one puzzle typed by a person. Parses the puzzle with the dataset lib, loads the
// model file (artifacts/<config>/train/model.safetensors or --checkpoint), runs the ACT loop and prints the answer,
// whether it keeps the task's rules, and with --trace every supervision step (--json: the same as one object).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { changedCells, PuzzleInputError, type AuxArtifacts, type DatasetLib, type Grid, type PuzzleSolving, type RawExample, type SolveQuery } from '@trm/dataset';
import { loadModel, ModelFileError, solve, type SolveTrace } from '@trm/trm';
import type { ResolvedConfig } from '../config/load.ts';
import { catalogEntry } from '../catalog/entries.mjs';
import { UsageError } from '../config/validate.ts';
import { selectBackend } from '../stages/backend.ts';

/** Bad input of `trm solve` (puzzle, model file, options): one line, exit status 2. */
export class SolveUsageError extends UsageError {
  override name = 'SolveUsageError';
}

/** True for the errors `trm solve` reports as bad input (exit status 2). */
export const isSolveInputError = (e: unknown): boolean => e instanceof SolveUsageError || e instanceof PuzzleInputError || e instanceof ModelFileError;

export interface SolveOptions {
  checkpoint?: string;
  file?: string;
  trace?: boolean;
  json?: boolean;
  /** run halt_max_steps steps, as the evaluate stage, instead of stopping at the halting step */
  allSteps?: boolean;
}

export interface SolveIO {
  root: string;
  artifacts: string;
  readStdin: () => Promise<string>;
  write: (text: string) => void;
}

/** Where a catalog entry of a config lives. */
function entryPath(artifacts: string, config: string, id: string): string {
  const e = catalogEntry(id);
  return path.join(artifacts, config, e.folder ?? e.stage, e.path);
}

/** The model file of a config: --checkpoint, else its train stage's model.safetensors (which must exist). */
export function modelFile(config: ResolvedConfig, artifacts: string, checkpoint: string | undefined, root = process.cwd()): string {
  if (checkpoint) {
    if (!fs.existsSync(checkpoint)) throw new SolveUsageError(`--checkpoint ${checkpoint}: no such file`);
    if (fs.statSync(checkpoint).isDirectory()) throw new SolveUsageError(`--checkpoint ${checkpoint}: a folder; expected a .safetensors model file`);
    return checkpoint;
  }
  const file = entryPath(artifacts, config.name, 'train.model');
  if (!fs.existsSync(file)) {
    throw new SolveUsageError(
      `no trained model for ${config.name} (${path.relative(root, file) || file} is missing): train it with \`npm run trm -- train --config ${config.name}\` (or \`npx nx run pipeline:train --config ${config.name}\`), or name a model file with --checkpoint`,
    );
  }
  return file;
}

/** encode's identifiers.json and aux.json of the config, when its encode stage has run. */
export function encodeContext(config: ResolvedConfig, artifacts: string): { identifiers: string[] | null; aux: AuxArtifacts | null } {
  const read = (id: string) => {
    const file = entryPath(artifacts, config.name, id);
    return fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, 'utf8')) : null;
  };
  return { identifiers: read('encode.identifiers') as string[] | null, aux: read('encode.aux') as AuxArtifacts | null };
}

async function puzzleText(arg: string | undefined, opts: SolveOptions, io: SolveIO): Promise<{ text: string; name?: string }> {
  if (arg !== undefined && opts.file !== undefined) throw new SolveUsageError('give the puzzle either as an argument or with --file, not both');
  const source = opts.file ?? arg;
  if (source === undefined) throw new SolveUsageError('no puzzle: give it as an argument, with --file FILE, or as - to read it from stdin');
  if (source === '-') return { text: await io.readStdin() };
  if (opts.file === undefined) return { text: source };
  if (!fs.existsSync(opts.file)) throw new SolveUsageError(`--file ${opts.file}: no such file`);
  return { text: fs.readFileSync(opts.file, 'utf8'), name: path.basename(opts.file).replace(/\.json$/i, '') };
}

export interface StepReport {
  step: number;
  /** the step's answer in `answer`'s text form */
  prediction: string;
  /** the model's tokens, [seq_len] */
  tokens: number[];
  /** sigmoid(q_halt) */
  q_halt: number;
}

export interface TestReport {
  steps: StepReport[];
  halted_at: number;
  /** false when q_halt never turned positive: the answer is the one at halt_max_steps */
  confident: boolean;
  answer: string;
  valid: boolean | null;
  reason: string;
}

export interface SolveReport extends TestReport {
  config: string;
  dataset: string;
  checkpoint: string;
  backend: string;
  halt_max_steps: number;
  puzzle: string;
  /** every test example (ARC tasks may have several); the top-level fields repeat the first */
  tests: TestReport[];
}

/** The query whose steps a test example's trace shows: its un-augmented copy (ARC), else its first. */
const traceQuery = (queries: SolveQuery[], test: number) => {
  const own = queries.map((q, k) => ({ q, k })).filter(({ q }) => q.test === test);
  return (own.find(({ q }) => q.transform === '') ?? own[0]).k;
};

/** Runs the model and gathers the report; throws SolveUsageError/PuzzleInputError/ModelFileError on bad input. */
export async function solvePuzzle(config: ResolvedConfig, lib: DatasetLib, arg: string | undefined, opts: SolveOptions, io: SolveIO): Promise<{ report: SolveReport; grids: { input: Grid; steps: Grid[]; attempts: Grid[] }[]; solving: PuzzleSolving }> {
  const solving = lib.solving;
  if (!solving) throw new SolveUsageError(`dataset ${lib.name} cannot solve typed puzzles (its DatasetLib has no \`solving\`)`);
  const { text, name } = await puzzleText(arg, opts, io);
  const puzzle = solving.parse(text, config.encode, { name });
  const stored = encodeContext(config, io.artifacts);
  const context = { identifiers: stored.identifiers ?? ['<blank>'], aux: stored.aux };
  const queries = solving.queries(puzzle, config.encode, context);
  if (queries.length === 0) throw new PuzzleInputError(`${lib.name}: the puzzle has no test example to solve`);

  const file = modelFile(config, io.artifacts, opts.checkpoint, io.root);
  const shape = lib.shape(config.encode);
  const shown = path.relative(io.root, path.resolve(file)) || file;
  const backend = await selectBackend(config);
  const { model, arch } = loadModel(new Uint8Array(fs.readFileSync(file)), shown, {
    seqLen: shape.seqLen,
    vocabSize: shape.vocabSize,
    numPuzzleIdentifiers: stored.identifiers?.length,
    what: `the ${lib.name} data of config ${config.name}`,
  });
  let traces: SolveTrace[];
  try {
    // ARC votes over the last step of every copy, as the evaluate stage runs them: halt_max_steps steps
    const until = opts.allSteps || queries.length > puzzle.examples.filter((e) => e.role === 'test').length ? 'max' : 'halt';
    traces = await solve(model, queries, { until, batchSize: config.evaluate.batch_size });
  } finally {
    model.dispose();
  }
  const finals = traces.map((t) => ({ preds: t.steps[t.steps.length - 1].prediction, qHalt: t.steps[t.steps.length - 1].qHaltLogit }));
  const answers = solving.answers(puzzle, queries, finals, config.encode, config.evaluate);
  const tests: TestReport[] = [];
  const grids: { input: Grid; steps: Grid[]; attempts: Grid[] }[] = [];
  const examples = puzzle.examples.filter((e): e is RawExample => e.role === 'test');
  examples.forEach((example, t) => {
    const k = traceQuery(queries, t);
    const trace = traces[k];
    const stepGrids = trace.steps.map((s) => solving.decodeAnswer(s.prediction, queries[k], config.encode));
    const check = solving.check(example, answers[t]);
    grids.push({ input: example.input, steps: stepGrids, attempts: answers[t] });
    tests.push({
      steps: trace.steps.map((s, j) => ({ step: j + 1, prediction: solving.formatAnswer([stepGrids[j]]), tokens: Array.from(s.prediction), q_halt: s.qHalt })),
      halted_at: trace.haltedAt,
      confident: trace.confident,
      answer: solving.formatAnswer(answers[t]),
      valid: check.valid,
      reason: check.reason,
    });
  });
  const report: SolveReport = {
    config: config.name,
    dataset: lib.name,
    checkpoint: shown,
    backend: backend.gemm ? `${backend.name} (${backend.gemm})` : backend.name,
    halt_max_steps: arch.halt_max_steps,
    puzzle: solving.formatPuzzle(puzzle),
    ...tests[0],
    tests,
  };
  return { report, grids, solving };
}

const validLine = (t: TestReport) => (t.valid === true ? 'valid' : t.valid === false ? `not valid: ${t.reason}` : `cannot tell: ${t.reason}`);

/** The human-readable output: the answer, the check, and with `trace` every step with its changed cells. */
export function formatSolve(lib: DatasetLib, solved: Awaited<ReturnType<typeof solvePuzzle>>, trace: boolean): string {
  const { report, grids, solving } = solved;
  const out: string[] = [`${report.config}: ${report.checkpoint} on ${report.backend}`];
  report.tests.forEach((t, i) => {
    const g = grids[i];
    const label = report.tests.length > 1 ? ` (test input ${i + 1} of ${report.tests.length})` : '';
    out.push('', `puzzle${label}:`, lib.renderText(g.input));
    if (trace) {
      out.push('', `supervision steps (${solving.changedLegend}; q_halt = sigmoid(q_halt), the halting confidence):`);
      t.steps.forEach((s, j) => {
        const changed = changedCells(j === 0 ? g.input : g.steps[j - 1], g.steps[j]);
        const n = changed.reduce((a, b) => a + b, 0);
        const halts = s.step === t.halted_at ? (t.confident ? '  <- halts here' : '  <- halt_max_steps reached') : '';
        out.push('', `step ${s.step}  q_halt ${s.q_halt.toFixed(3)}  ${n} cell${n === 1 ? '' : 's'} changed${halts}`, solving.renderChanged(g.steps[j], changed));
      });
    }
    const at = t.confident ? `halted at step ${t.halted_at} of ${report.halt_max_steps}` : `no halt before step ${report.halt_max_steps}`;
    const q = t.steps[t.steps.length - 1].q_halt.toFixed(3);
    if (g.attempts.length === 1) out.push('', `answer (${at}, q_halt ${q}):`, lib.renderText(g.attempts[0]));
    else g.attempts.forEach((a, j) => out.push('', `attempt ${j + 1} (after the vote over ${report.dataset} augmentations):`, lib.renderText(a)));
    out.push('', validLine(t));
  });
  return out.join('\n') + '\n';
}
