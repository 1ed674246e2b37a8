// Worker side of data parallelism: one model replica whose weights follow the main thread's (through shared
// memory), which runs its rows of every global batch and keeps its slice of the ACT carry between steps.
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@trm/augment';
import { allReduceSum, assignFrom, readInto, tensorValues, type Segment, type TensorDict } from '@trm/tensor-core';
import { createModel, disposeCarry } from '@trm/trm';
import { archDims, H_INIT, L_INIT, PUZZLE_EMB } from '@trm/trm';
import type { Carry, StepOutput, TrainOutput, TrmModel } from '@trm/trm';
import { carryTensor } from './carry-tensor.ts';
import { createMicroBatchedModel } from '@trm/trm';
import type { ReplicaArgs, StepArgs, StepReply } from './protocol.ts';

export interface Replica {
  step(args: StepArgs, rank: number): StepReply;
  dispose(): void;
}

export function createReplica(cfg: ReplicaArgs): Replica {
  const { arch, layout, weights, reduce } = cfg;
  const D = arch.hidden_size;
  const ndim = arch.puzzle_emb_ndim;
  let model: TrmModel | null = null;
  let capacity = 0;
  let carry: Carry | null = null;

  /** A replica whose local puzzle table holds at least `rows` rows (grown on demand). */
  const ensureModel = (rows: number): TrmModel => {
    if (model && rows <= capacity) return model;
    model?.dispose();
    capacity = Math.max(1, rows, capacity * 2);
    // Built straight from H_init and L_init of the main model, the weights as the shared vector holds them (views:
    // no JS copies, which would stay resident in this thread's malloc arena) and the puzzle table empty until
    // loadPuzzleRows: no random initialisation drawn only to be overwritten.
    const view = (a: Float32Array) => (tf.getBackend() === 'wasm' ? a : a.slice()); // cpu keeps the array it gets
    const dict: TensorDict = {
      [H_INIT]: { dtype: 'float32', shape: [D], data: cfg.hInit },
      [L_INIT]: { dtype: 'float32', shape: [D], data: cfg.lInit },
    };
    for (const slot of layout.slots) dict[slot.name] = { dtype: 'float32', shape: slot.shape, data: view(weights.subarray(slot.offset, slot.offset + slot.size)) };
    if (ndim > 0) dict[PUZZLE_EMB] = { dtype: 'float32', shape: [capacity, ndim], data: new Float32Array(capacity * ndim) };
    const m = createModel({ ...arch, num_puzzle_identifiers: capacity }, cfg.seed, { weights: dict });
    model = cfg.microBatch > 0 ? createMicroBatchedModel(m, cfg.microBatch) : m; // shares m's params and puzzle table
    return model;
  };

  // `weights` is rewritten every step; on wasm each param's heap memory is overwritten in place (no second copy of
  // the weights on the heap), elsewhere the param gets a new tensor.
  const loadWeights = (m: TrmModel) => {
    for (const slot of layout.slots) assignFrom(m.params.get(slot.name)!, weights.subarray(slot.offset, slot.offset + slot.size));
  };

  const loadPuzzleRows = (m: TrmModel, rows: Float32Array) => {
    if (!m.puzzleEmb) return;
    const table = new Float32Array(capacity * ndim);
    table.set(rows);
    tf.tidy(() => m.puzzleEmb!.assign(tf.tensor2d(table, [capacity, ndim])));
  };

  const L = archDims(arch).totalLen;
  const zSlice = (z: Float32Array, [a, b]: [number, number]) => z.subarray(a * L * D, b * L * D);

  /** The carry for this call: the worker's own from the previous step, or this worker's rows of zH/zL. */
  const carryFor = (args: StepArgs, rows: number): Carry => {
    if (carry && !args.loadCarry && carry.halted.length === rows) {
      return { zH: carry.zH, zL: carry.zL, steps: args.steps, halted: args.halted, data: args.carried };
    }
    if (carry) disposeCarry(carry);
    carry = {
      zH: carryTensor(zSlice(args.zH, args.range), rows, L, D),
      zL: carryTensor(zSlice(args.zL, args.range), rows, L, D),
      steps: args.steps,
      halted: args.halted,
      data: args.carried,
    };
    return carry;
  };

  const keepCarry = (next: Carry, args: StepArgs) => {
    if (carry) disposeCarry(carry);
    carry = next;
    readInto(next.zH, zSlice(args.zH, args.range));
    readInto(next.zL, zSlice(args.zL, args.range));
  };

  /** The gradients as segments of the flat vector: on wasm views of the backend heap (no copies), valid until the
   *  next tensor allocation, so taken right before the all-reduce. */
  const gradSegments = (grads: Map<string, tf.Tensor>): Segment[] =>
    layout.slots.map((s) => {
      const g = grads.get(s.name);
      if (!g) throw new Error(`replica: the model returned no gradient for "${s.name}"`);
      return { start: s.offset, values: tensorValues(g) };
    });
  const zeros = (): Segment[] => [{ start: 0, values: new Float32Array(layout.length) }];

  return {
    step(args, rank) {
      const [a, b] = args.range;
      const rows = b - a;
      if (rows === 0) {
        // More workers than rows: contribute zeros to the gradient sum and nothing else.
        if (args.mode === 'train') allReduceSum(reduce, rank, zeros());
        return emptyReply(args);
      }
      const m = ensureModel(args.puzzleRows.length / Math.max(1, ndim));
      loadWeights(m);
      loadPuzzleRows(m, args.puzzleRows);
      const rng = createRng(0, args.rng);
      const current = carryFor(args, rows);
      const t0 = performance.now();
      let out: StepOutput | TrainOutput;
      let puzzleGrad: StepReply['puzzleGrad'] = null;
      let modelMs = 0;
      if (args.mode === 'train') {
        // A worker that fails still joins the all-reduce, so that its peers do not wait on the barrier forever.
        let failure: unknown = null;
        let train: TrainOutput | null = null;
        let segments: Segment[] | null = null;
        try {
          train = m.forwardBackward(current, args.batch, { rng, lossScale: args.lossScale, logits: args.logits });
          if (train.puzzleEmbGrad) {
            puzzleGrad = { ids: train.puzzleEmbGrad.ids, grad: (train.puzzleEmbGrad.grad.dataSync() as Float32Array).slice() };
            train.puzzleEmbGrad.grad.dispose();
          }
          keepCarry(train.carry, args);
          segments = gradSegments(train.grads);
        } catch (err) {
          failure = err;
        }
        modelMs = performance.now() - t0;
        try {
          allReduceSum(reduce, rank, segments ?? zeros()); // this worker's chunk stays in its heap, the others go out
        } finally {
          if (train) tf.dispose([...train.grads.values()]);
        }
        if (failure || !train) throw failure;
        out = train;
      } else {
        out = m.forward(current, args.batch, { training: args.training, rng, logits: args.logits });
        keepCarry(out.carry, args);
        modelMs = performance.now() - t0;
      }
      const computeMs = performance.now() - t0;
      return {
        lossTotal: out.lossTotal,
        metrics: out.metrics,
        preds: out.preds,
        qHalt: out.qHalt,
        qContinue: out.qContinue,
        ...(out.logits ? { logits: out.logits } : {}),
        steps: out.carry.steps,
        halted: out.carry.halted,
        data: out.carry.data,
        puzzleGrad,
        rng: rng.state(),
        computeMs,
        modelMs,
      };
    },
    dispose() {
      if (carry) disposeCarry(carry);
      carry = null;
      model?.dispose();
      model = null;
    },
  };
}

function emptyReply(args: StepArgs): StepReply {
  const none = { inputs: new Int32Array(0), labels: new Int32Array(0), puzzleIdentifiers: new Int32Array(0) };
  const metrics = { count: 0, accuracy: 0, exact_accuracy: 0, q_halt_accuracy: 0, steps: 0, lm_loss: 0, q_halt_loss: 0 };
  return {
    lossTotal: 0,
    metrics,
    preds: new Int32Array(0),
    qHalt: new Float32Array(0),
    qContinue: new Float32Array(0),
    ...(args.logits ? { logits: new Float32Array(0) } : {}),
    steps: new Int32Array(0),
    halted: new Uint8Array(0),
    data: none,
    puzzleGrad: null,
    rng: args.rng,
    computeMs: 0,
    modelMs: 0,
  };
}
