// One ACT step: the reference's ACT wrapper (TinyRecursiveReasoningModel_ACTV1.forward) around the inner model's
// forward (_Inner.forward), with its loss head (ACTLossHead). Inference and training both run actStep; training asks
// for the gradients too.
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@trm/augment';
import { bf16Round, type RopeTables } from '@trm/tensor-core';
import type { BlockImpl, GradSink } from './block.ts';
import { lossHead, type LossOutput } from './loss.ts';
import { isBlockParam, type Dims } from './params.ts';
import { heads, inputEmbeddings, latentRecursion, type Net } from './recursion.ts';
import type { ArchConfig, Batch, Carry, StepOutput, TrainOutput } from './types.ts';

/** What an ACT step reads of a model. */
export interface ActModel {
  arch: ArchConfig;
  dims: Dims;
  /** trained by AdamATan2, by reference name */
  params: Map<string, tf.Variable>;
  hInit: tf.Tensor1D;
  lInit: tf.Tensor1D;
  /** [num_puzzle_identifiers, puzzle_emb_ndim], or null without puzzle embeddings */
  puzzleEmb: tf.Tensor2D | null;
  blocks: BlockImpl;
  rope: RopeTables | null;
}

export interface ActOptions {
  /** training-mode halting (q_halt and exploration); evaluation runs every example for halt_max_steps */
  training: boolean;
  /** the exploration draws */
  rng: Rng;
  /** return the logits (the reference's return_keys): [B*S*V] float32 */
  logits?: boolean;
  /** differentiate lossScale * loss: the params' gradients, and in training the gradient of the puzzle rows used */
  gradient?: { lossScale: number };
}

/**
 * One supervision step on `carry` (not disposed; the returned carry owns new tensors): reset the halted rows, the
 * recursion (H_cycles - 1 rounds without gradient, then one with), the heads, the halting decision and the loss.
 */
export function actStep(m: ActModel, carry: Carry, batch: Batch, opts: ActOptions & { gradient: { lossScale: number } }): TrainOutput;
export function actStep(m: ActModel, carry: Carry, batch: Batch, opts: ActOptions): StepOutput;
export function actStep(m: ActModel, carry: Carry, batch: Batch, opts: ActOptions): StepOutput | TrainOutput {
  const s = beforeLastRound(m, carry, batch);
  // One round with gradient (when training), then the heads, the halting decision and the loss.
  const lastRound = (puzzle: tf.Tensor2D | null, grads: GradSink | null) => {
    const dev = s.deviceRound(puzzle, grads);
    return { ...s.hostRound(dev.logits, dev.q, opts), next: dev.next };
  };
  const { result, grads } = opts.gradient ? withGradient(m, lastRound, s.rows, s.data.puzzleIdentifiers, opts.training) : { result: withoutGradient(() => lastRound(s.rows, null)), grads: null };
  return s.output(result, grads, opts);
}

/**
 * actStep without gradient, its reads of device memory awaited: the last round runs on the device, then logits and
 * q are read with `data()` (the backend keeps the host copy, so the loss head's reads return it without touching
 * the device) and the halting and loss follow as in actStep. For backends whose synchronous read fails (WebGPU in a
 * browser); the same results as actStep.
 */
export async function actStepAsync(m: ActModel, carry: Carry, batch: Batch, opts: Omit<ActOptions, 'gradient'>): Promise<StepOutput> {
  const s = beforeLastRound(m, carry, batch);
  const dev = tf.tidy(() => s.deviceRound(s.rows, null));
  try {
    await Promise.all([dev.logits.data(), dev.q.data()]);
  } catch (e) {
    tf.dispose([dev.logits, dev.q, dev.next.zH, dev.next.zL, ...s.owned()]);
    throw e;
  }
  const result = withoutGradient(() => ({ ...s.hostRound(dev.logits, dev.q, opts), next: dev.next }));
  tf.dispose([dev.logits, dev.q]);
  return s.output(result, null, opts);
}

/**
 * An ACT step up to its last round: the reset (halted rows start again from H_init / L_init on the batch's next
 * example; the others keep theirs) and H_cycles - 1 rounds without gradient; then what the last round runs on the
 * device and on the host, and the step's output.
 */
function beforeLastRound(m: ActModel, carry: Carry, batch: Batch) {
  const { arch } = m;
  const start = resetCarry(carry, batch, m.hInit, m.lInit, arch.seq_len);
  const { steps, data } = start;
  const rows = puzzleRows(m, data.puzzleIdentifiers); // [B, puzzle_emb_ndim] rows of the puzzle table, or null
  const params = Object.fromEntries(m.params);
  const net: Net = { arch, dims: m.dims, w: m.blocks.weights(params, arch), blocks: m.blocks, rope: m.rope, grads: null };

  // H_cycles - 1 rounds without gradient (the reference's torch.no_grad()): they run before any gradient tape
  // records, so tfjs keeps nothing of them for a backward pass.
  let [zH, zL] = [start.zH, start.zL];
  if (arch.H_cycles > 1) {
    const x = tf.tidy(() => inputEmbeddings(net, data.inputs, rows)); // [B, S', D]
    for (let h = 0; h < arch.H_cycles - 1; h++) {
      const [nH, nL] = tf.tidy(() => latentRecursion(net, zH, zL, x));
      if (zH !== start.zH) tf.dispose([zH, zL]);
      [zH, zL] = [nH, nL];
    }
    x.dispose();
  }
  /** what the step holds until its output: z before the last round, the puzzle rows, the block weights */
  const owned = (): tf.Tensor[] => {
    m.blocks.release(net.w, params);
    return [...new Set([start.zH, start.zL, zH, zL]), ...(rows ? [rows] : [])];
  };

  return {
    data,
    rows,
    owned,
    /** the last round of recursion and the heads */
    deviceRound(puzzle: tf.Tensor2D | null, grads: GradSink | null) {
      const x = inputEmbeddings(net, data.inputs, puzzle); // [B, S', D]
      const [zH1, zL1] = latentRecursion({ ...net, grads }, zH, zL, x); // [B, S', D] each
      const { logits, q } = heads(net, zH1); // [B, S, V], [B, 2]
      return { next: { zH: zH1, zL: zL1 }, logits, q };
    },
    /** the halting decision and the loss, from logits and q read on the host */
    hostRound(logits: tf.Tensor3D, q: tf.Tensor2D, opts: ActOptions): HostRound {
      const { qHalt, qContinue } = qValues(q); // [B] each, on the host
      // Halting, without gradient: steps + 1; halt at halt_max_steps and, in training, on q_halt > 0 (with exploration).
      const halting = haltDecision(arch, steps, qHalt, opts.training, opts.rng);
      // Loss: stablemax cross-entropy of the logits + 0.5 * BCE(q_halt, sequence right), computed on the host.
      const { loss, out, logitValues } = lossHead(logits, q, qHalt, data.labels, halting, arch.vocab_size, opts.gradient?.lossScale ?? 1);
      return { loss, qHalt, qContinue, halting, out, logitValues };
    },
    output(result: HostRound & Round, grads: Pick<TrainOutput, 'grads' | 'puzzleEmbGrad'> | null, opts: ActOptions): StepOutput | TrainOutput {
      tf.dispose(owned());
      const { halting, out } = result;
      const output: StepOutput = {
        carry: { ...result.next, steps: halting.steps, halted: halting.halted, data },
        lossTotal: out.total,
        metrics: out.metrics,
        preds: out.preds,
        qHalt: result.qHalt,
        qContinue: result.qContinue,
        allHalted: halting.halted.every((h) => h === 1),
        ...(opts.logits ? { logits: result.logitValues } : {}),
      };
      return grads ? { ...output, ...grads } : output;
    },
  };
}

/** The last round's host results: the loss op (differentiated in training), q's columns, halting, the loss head's results. */
type HostRound = {
  loss: tf.Scalar;
  qHalt: Float32Array;
  qContinue: Float32Array;
  halting: { steps: Int32Array; halted: Uint8Array };
  out: LossOutput;
  logitValues: Float32Array;
};

/** What the round with gradient returns: the loss, and the new z (kept beyond the round) with the host results. */
type Round = { loss: tf.Scalar; next: { zH: tf.Tensor3D; zL: tf.Tensor3D } };

/** `round`'s results from a tf.tidy: its new z kept, every other tensor freed. */
function withoutGradient<R extends Round>(round: () => R): R {
  let result: R | null = null;
  tf.tidy(() => {
    result = round();
    tf.keep(result.next.zH);
    tf.keep(result.next.zL);
  });
  return result!;
}

/**
 * `round` under tf.valueAndGrads: the gradients of its loss w.r.t. the params (through the tape, or for blocks with
 * their own backward through their gradient sink) and, in training, w.r.t. the gathered puzzle rows (the
 * reference's local_weights leaf of the sparse puzzle embedding).
 */
function withGradient<R extends Round>(
  m: ActModel, round: (puzzle: tf.Tensor2D | null, grads: GradSink | null) => R, rows: tf.Tensor2D | null, ids: Int32Array, training: boolean,
): { result: R; grads: Pick<TrainOutput, 'grads' | 'puzzleEmbGrad'> } {
  const sink: GradSink | null = m.blocks.ownBackward ? new Map() : null;
  const taped = [...m.params.keys()].filter((n) => !(sink && isBlockParam(n)));
  const rowsAreLeaf = training && rows !== null;
  const leaves: tf.Tensor[] = [...taped.map((n) => m.params.get(n)!), ...(rowsAreLeaf ? [rows] : [])];
  let result: R | null = null;
  const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => {
    result = round(rowsAreLeaf ? (xs[taped.length] as tf.Tensor2D) : rows, sink);
    tf.keep(result.next.zH);
    tf.keep(result.next.zL);
    return result.loss;
  })(leaves);
  value.dispose();
  const fromTape = new Map(taped.map((n, i) => [n, grads[i]]));
  const fromBlocks = sink ? m.blocks.paramGrads(sink, m.arch) : new Map<string, tf.Tensor>();
  return {
    result: result!,
    grads: {
      grads: new Map([...m.params.keys()].map((n) => [n, fromTape.get(n) ?? fromBlocks.get(n)!])),
      puzzleEmbGrad: rowsAreLeaf ? { ids: ids.slice(), grad: grads[taped.length] as tf.Tensor2D } : null,
    },
  };
}

/** q [B, 2] on the host: the halt and continue logits. */
function qValues(q: tf.Tensor2D): { qHalt: Float32Array; qContinue: Float32Array } {
  const v = q.dataSync() as Float32Array;
  const B = q.shape[0];
  return { qHalt: Float32Array.from({ length: B }, (_, b) => v[2 * b]), qContinue: Float32Array.from({ length: B }, (_, b) => v[2 * b + 1]) };
}

/** [B, puzzle_emb_ndim] rows of the puzzle-embedding table for the ids (a new tensor), or null without a table. */
function puzzleRows(m: ActModel, ids: Int32Array): tf.Tensor2D | null {
  if (!m.puzzleEmb) return null;
  for (let b = 0; b < ids.length; b++) {
    if (ids[b] < 0 || ids[b] >= m.arch.num_puzzle_identifiers) {
      throw new Error(`puzzleIdentifiers[${b}] = ${ids[b]} outside [0, ${m.arch.num_puzzle_identifiers}) (arch.num_puzzle_identifiers)`);
    }
  }
  return tf.tidy(() => tf.gather(m.puzzleEmb!, tf.tensor1d(ids, 'int32')));
}

function checkBatch(batch: Batch, B: number, S: number, what: string): void {
  if (batch.inputs.length !== B * S) throw new Error(`${what}.inputs: expected ${B}*${S} = ${B * S} tokens, got ${batch.inputs.length}`);
  if (batch.labels.length !== B * S) throw new Error(`${what}.labels: expected ${B * S} labels, got ${batch.labels.length}`);
  if (batch.puzzleIdentifiers.length !== B) throw new Error(`${what}.puzzleIdentifiers: expected ${B} ids, got ${batch.puzzleIdentifiers.length}`);
}

/**
 * Halted rows go back to H_init/L_init, step 0 and the batch's example; the others keep theirs.
 * Returns new z tensors [B, S', D] owned by the caller.
 */
export function resetCarry(carry: Carry, batch: Batch, hInit: tf.Tensor1D, lInit: tf.Tensor1D, seqLen: number): { zH: tf.Tensor3D; zL: tf.Tensor3D; steps: Int32Array; data: Batch } {
  const B = carry.halted.length;
  checkBatch(batch, B, seqLen, 'batch');
  const S = seqLen;
  const data: Batch = {
    inputs: carry.data.inputs.slice(),
    labels: carry.data.labels.slice(),
    puzzleIdentifiers: carry.data.puzzleIdentifiers.slice(),
  };
  const steps = carry.steps.slice();
  for (let b = 0; b < B; b++) {
    if (!carry.halted[b]) continue;
    steps[b] = 0;
    data.inputs.set(batch.inputs.subarray(b * S, (b + 1) * S), b * S);
    data.labels.set(batch.labels.subarray(b * S, (b + 1) * S), b * S);
    data.puzzleIdentifiers[b] = batch.puzzleIdentifiers[b];
  }
  const [zH, zL] = tf.tidy(() => {
    const mask = tf.tensor3d(Float32Array.from(carry.halted), [B, 1, 1]); // 1 = reset
    const keep = tf.sub(1, mask);
    const reset = (z: tf.Tensor3D, init: tf.Tensor1D) => tf.add(tf.mul(z, keep), tf.mul(init, mask)) as tf.Tensor3D;
    return [reset(carry.zH, bf16Round(hInit)), reset(carry.zL, bf16Round(lInit))]; // the reference's bfloat16 buffers in bf16
  });
  return { zH, zL, steps, data };
}

/** steps += 1; halt at halt_max_steps; in training also on q_halt > 0, delayed by exploration. */
export function haltDecision(arch: ArchConfig, stepsBefore: Int32Array, qHalt: Float32Array, training: boolean, rng: Rng): { steps: Int32Array; halted: Uint8Array } {
  const B = stepsBefore.length;
  const steps = new Int32Array(B);
  const halted = new Uint8Array(B);
  for (let b = 0; b < B; b++) {
    steps[b] = stepsBefore[b] + 1;
    let halt = steps[b] >= arch.halt_max_steps;
    if (training && arch.halt_max_steps > 1) {
      halt = halt || qHalt[b] > 0;
      // exploration: with probability p, a minimum step count drawn uniformly from 2..halt_max_steps
      const explore = rng.next() < arch.halt_exploration_prob;
      const minSteps = 2 + rng.int(arch.halt_max_steps - 1);
      if (explore && steps[b] < minSteps) halt = false;
    }
    halted[b] = halt ? 1 : 0;
  }
  return { steps, halted };
}
