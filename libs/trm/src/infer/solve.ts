// Inference: the ACT loop of a trained model on puzzles (one or a batch), every supervision step kept.
// In eval mode the model never halts on its own before halt_max_steps (all rows move in lockstep, as the evaluate
// stage runs them); the halting step reported here is where ACT would stop: the first step with q_halt > 0, as
// training halts, or halt_max_steps when q_halt never turns positive.
import { createRng } from '@trm/augment';
import { IGNORE_LABEL } from '@trm/tensor-core';
import { disposeCarry } from '../model/model.ts';
import type { Batch, Carry, TrmModel } from '../model/types.ts';

/** One puzzle as the model consumes it. */
export interface SolveRow {
  /** [seq_len] token ids */
  inputs: Uint8Array;
  /** 0 = the blank identifier (Sudoku, mazes) */
  puzzleIdentifier: number;
}

export interface SolveStep {
  /** [seq_len] argmax tokens after this supervision step */
  prediction: Uint8Array;
  /** sigmoid(q_halt): the model's confidence that its answer is final */
  qHalt: number;
  /** the q_halt logit */
  qHaltLogit: number;
}

export interface SolveTrace {
  /** step 1, 2, ...: up to `haltedAt` (until `halt`) or halt_max_steps (until `max`) */
  steps: SolveStep[];
  /** 1-based: the first step with q_halt > 0, or halt_max_steps when there is none */
  haltedAt: number;
  /** false when q_halt never turned positive (stopped by halt_max_steps) */
  confident: boolean;
}

export interface SolveOptions {
  /** `halt` (default): stop each row at its halting step; `max`: run halt_max_steps steps, as the evaluate stage */
  until?: 'halt' | 'max';
  /** rows per model call (default: all of them) */
  batchSize?: number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/**
 * The ACT loop on one batch, a step at a time: yields every supervision step's outputs for all rows (`active[b]` =
 * row b has not halted before this step). Ends when every row halted (`until: halt`) or at halt_max_steps. Reads
 * device memory asynchronously where the model can (forwardAsync: the same results, and the only way on WebGPU).
 */
export async function* solveSteps(model: TrmModel, rows: SolveRow[], until: 'halt' | 'max' = 'halt'): AsyncGenerator<{ step: number; outputs: SolveStep[]; active: boolean[] }> {
  const { seq_len: S, halt_max_steps: T } = model.arch;
  const B = rows.length;
  const batch: Batch = { inputs: new Int32Array(B * S), labels: new Int32Array(B * S).fill(IGNORE_LABEL), puzzleIdentifiers: new Int32Array(B) };
  rows.forEach((r, b) => {
    if (r.inputs.length !== S) throw new Error(`solve: row ${b} has ${r.inputs.length} tokens, the model takes seq_len ${S}`);
    batch.inputs.set(r.inputs, b * S);
    batch.puzzleIdentifiers[b] = r.puzzleIdentifier;
  });
  const rng = createRng(0); // eval mode draws nothing; forward takes an Rng
  const halted = new Array<boolean>(B).fill(false);
  let carry: Carry = model.initialCarry(B);
  try {
    for (let step = 1; step <= T; step++) {
      const out = model.forwardAsync ? await model.forwardAsync(carry, batch, { training: false, rng }) : model.forward(carry, batch, { training: false, rng });
      disposeCarry(carry);
      carry = out.carry;
      const active = halted.map((h) => !h);
      const outputs = rows.map((_, b) => ({
        prediction: Uint8Array.from(out.preds.subarray(b * S, (b + 1) * S)), // [S]
        qHalt: sigmoid(out.qHalt[b]),
        qHaltLogit: out.qHalt[b],
      }));
      outputs.forEach((o, b) => (halted[b] ||= o.qHaltLogit > 0));
      yield { step, outputs, active };
      if (until === 'halt' && halted.every(Boolean)) return;
    }
  } finally {
    disposeCarry(carry);
  }
}

/** Every supervision step of every row (rows run `batchSize` at a time; a row's result does not depend on the others). */
export async function solve(model: TrmModel, rows: SolveRow[], opts: SolveOptions = {}): Promise<SolveTrace[]> {
  const until = opts.until ?? 'halt';
  const size = opts.batchSize ?? rows.length;
  if (!(Number.isInteger(size) && size > 0)) throw new Error(`solve: batchSize must be a positive integer, got ${size}`);
  const traces: SolveTrace[] = [];
  for (let start = 0; start < rows.length; start += size) {
    const chunk = rows.slice(start, start + size);
    const part: SolveTrace[] = chunk.map(() => ({ steps: [], haltedAt: 0, confident: false }));
    for await (const { step, outputs, active } of solveSteps(model, chunk, until)) {
      outputs.forEach((o, b) => {
        const t = part[b];
        if (until === 'halt' && !active[b]) return;
        t.steps.push(o);
        if (t.haltedAt === 0 && o.qHaltLogit > 0) {
          t.haltedAt = step;
          t.confident = true;
        }
      });
    }
    for (const t of part) if (t.haltedAt === 0) t.haltedAt = model.arch.halt_max_steps;
    traces.push(...part);
  }
  return traces;
}
