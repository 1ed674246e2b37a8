// The TRM model with its ACT wrapper: createModel(arch, seed) -> TrmModel.
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '@trm/augment';
import { hostLoss, ropeTables } from '@trm/tensor-core';
import type { TensorDict } from '@trm/tensor-core';
import { haltDecision, resetCarry } from './act.ts';
import type { Prepared } from './act.ts';
import { blockParamGrads, derivedOnly, splitWeights } from './block.ts';
import type { GradSink, NetContext, Weights } from './block.ts';
import { heads, inputEmbeddings, recursionRound } from './inner.ts';
import { actLoss } from './loss.ts';
import { checkedValues, dims, givenValues, H_INIT, initialValues, isBlockParam, L_INIT, paramSpecs, PUZZLE_EMB, validateArch } from './params.ts';
import type { ArchConfig, Batch, Carry, StepOutput, TrainOutput, TrmModel } from './types.ts';

/** Dispose the tensors a carry owns. */
export function disposeCarry(carry: Carry): void {
  carry.zH.dispose();
  carry.zL.dispose();
}

export interface ModelInit {
  /** every parameter and buffer (reference names, as loadStateDict takes them): the model starts from these values
   *  and draws no random ones (no host copies of an initialisation it would overwrite; `seed` is then unused) */
  weights?: TensorDict;
}

export function createModel(arch: ArchConfig, seed: number, opts: ModelInit = {}): TrmModel {
  validateArch(arch);
  const d = dims(arch);
  const init = opts.weights ? givenValues(arch, opts.weights) : initialValues(arch, seed);
  const params = new Map<string, tf.Variable>();
  for (const spec of paramSpecs(arch)) params.set(spec.name, tf.variable(init.get(spec.name)!, true));
  const hInit = tf.variable(init.get(H_INIT)!, false) as tf.Variable<tf.Rank.R1>;
  const lInit = tf.variable(init.get(L_INIT)!, false) as tf.Variable<tf.Rank.R1>;
  const puzzleEmb = arch.puzzle_emb_ndim > 0 ? (tf.variable(init.get(PUZZLE_EMB)!, false) as tf.Variable<tf.Rank.R2>) : null;
  for (const t of init.values()) t.dispose();
  const ctx: NetContext = { arch, rope: !arch.mlp_t && arch.pos_encodings === 'rope' ? ropeTables(d.headDim, d.totalLen, arch.rope_theta) : null, grads: null };
  const S = arch.seq_len;

  const weights = (): Weights => Object.fromEntries(params);

  /** [B, ndim] rows of puzzle_emb.weights for the carried ids */
  const puzzleRows = (ids: Int32Array): tf.Tensor2D | null => {
    if (!puzzleEmb) return null;
    for (let b = 0; b < ids.length; b++) {
      if (ids[b] < 0 || ids[b] >= arch.num_puzzle_identifiers) {
        throw new Error(`puzzleIdentifiers[${b}] = ${ids[b]} outside [0, ${arch.num_puzzle_identifiers}) (arch.num_puzzle_identifiers)`);
      }
    }
    return tf.tidy(() => tf.gather(puzzleEmb, tf.tensor1d(ids, 'int32')));
  };

  /** The H_cycles-1 rounds without gradient. Returns new zH, zL; disposes nothing it was given. */
  const warmRounds = (w: Weights, prep: Prepared, rows: tf.Tensor2D | null): [tf.Tensor3D, tf.Tensor3D] => {
    let zH = prep.zH;
    let zL = prep.zL;
    if (arch.H_cycles === 1) return [tf.clone(zH), tf.clone(zL)];
    const x = tf.tidy(() => inputEmbeddings(w, ctx, d.puzzleLen, prep.data.inputs, rows));
    for (let h = 0; h < arch.H_cycles - 1; h++) {
      const [nH, nL] = tf.tidy(() => recursionRound(w, ctx, zH, zL, x));
      if (zH !== prep.zH) tf.dispose([zH, zL]);
      zH = nH;
      zL = nL;
    }
    x.dispose();
    return [zH, zL];
  };

  const finish = (prep: Prepared, lossIn: { logits: Float32Array; q: Float32Array }, training: boolean, rng: Rng, zH: tf.Tensor3D, zL: tf.Tensor3D) => {
    const B = prep.steps.length;
    const qHalt = new Float32Array(B);
    const qContinue = new Float32Array(B);
    for (let b = 0; b < B; b++) {
      qHalt[b] = lossIn.q[2 * b];
      qContinue[b] = lossIn.q[2 * b + 1];
    }
    const { steps, halted } = haltDecision(arch, prep.steps, qHalt, training, rng);
    const loss = actLoss({ logits: lossIn.logits, qHalt, labels: prep.data.labels, steps, halted, vocab: arch.vocab_size });
    const out: StepOutput = {
      carry: { zH, zL, steps, halted, data: prep.data },
      lossTotal: loss.total,
      metrics: loss.metrics,
      preds: loss.preds,
      qHalt,
      qContinue,
      allHalted: halted.every((h) => h === 1),
      logits: lossIn.logits,
    };
    return { out, loss };
  };

  const forward = (carry: Carry, batch: Batch, opts: { training: boolean; rng: Rng }): StepOutput => {
    const base = weights();
    const w = tf.tidy(() => splitWeights(base, arch));
    const prep = resetCarry(carry, batch, hInit, lInit, S);
    const rows = puzzleRows(prep.data.puzzleIdentifiers);
    const [wH, wL] = warmRounds(w, prep, rows);
    const [zH, zL, logits, q] = tf.tidy(() => {
      const x = inputEmbeddings(w, ctx, d.puzzleLen, prep.data.inputs, rows);
      const [zH2, zL2] = recursionRound(w, ctx, wH, wL, x);
      const hd = heads(w, ctx, d.puzzleLen, zH2);
      return [zH2, zL2, hd.logits, hd.q];
    });
    const host = { logits: logits.dataSync() as Float32Array, q: q.dataSync() as Float32Array };
    tf.dispose([prep.zH, prep.zL, wH, wL, logits, q, ...(rows ? [rows] : []), ...derivedOnly(w, base)]);
    return finish(prep, host, opts.training, opts.rng, zH, zL).out;
  };

  const forwardBackward = (carry: Carry, batch: Batch, opts: { rng: Rng; lossScale: number; training?: boolean }): TrainOutput => {
    if (!tf.getGradient('BatchMatMul')) {
      throw new Error("forwardBackward: tfjs's gradients are not registered (initBackend of @trm/tensor-node registers them; in a bundle, import '@tensorflow/tfjs-core/dist/register_all_gradients')");
    }
    const training = opts.training ?? true;
    const base = weights();
    const w = tf.tidy(() => splitWeights(base, arch));
    const prep = resetCarry(carry, batch, hInit, lInit, S);
    const rows = puzzleRows(prep.data.puzzleIdentifiers);
    const [wH, wL] = warmRounds(w, prep, rows);
    // The blocks hand their weight gradients to `sink`; the tape differentiates the weights outside the blocks
    // and, in train mode, the gathered puzzle rows (the reference's local_weights leaf).
    const sink: GradSink = new Map();
    const gradCtx: NetContext = { ...ctx, grads: sink };
    const outerNames = [...params.keys()].filter((n) => !isBlockParam(n));
    const rowsAreLeaf = training && rows !== null;
    const xs: tf.Tensor[] = [...outerNames.map((n) => params.get(n)!), ...(rowsAreLeaf ? [rows] : [])];
    let kept: { zH: tf.Tensor3D; zL: tf.Tensor3D; logits: Float32Array; q: Float32Array } | null = null;
    let lossResult: ReturnType<typeof finish> | null = null;
    const f = (...args: tf.Tensor[]): tf.Scalar => {
      const leafRows = rowsAreLeaf ? (args[outerNames.length] as tf.Tensor2D) : rows;
      const x = inputEmbeddings(w, gradCtx, d.puzzleLen, prep.data.inputs, leafRows);
      const [zH, zL] = recursionRound(w, gradCtx, wH, wL, x);
      const hd = heads(w, gradCtx, d.puzzleLen, zH);
      const qHalt = tf.slice(hd.q, [0, 0], [hd.q.shape[0], 1]); // [B, 1]
      kept = { zH: tf.keep(zH), zL: tf.keep(zL), logits: new Float32Array(0), q: hd.q.dataSync() as Float32Array };
      return hostLoss([hd.logits, qHalt], ([logits]) => {
        kept!.logits = logits.slice();
        lossResult = finish(prep, { logits: kept!.logits, q: kept!.q }, training, opts.rng, kept!.zH, kept!.zL);
        const { loss } = lossResult;
        return { value: opts.lossScale * loss.total, grads: [scaled(loss.gradLogits, opts.lossScale), scaled(loss.gradQHalt, opts.lossScale)] };
      });
    };
    const { value, grads } = tf.valueAndGrads(f)(xs);
    value.dispose();
    tf.dispose([prep.zH, prep.zL, wH, wL, ...derivedOnly(w, base)]);
    if (!lossResult || !kept) throw new Error('forwardBackward: the loss was not evaluated');
    const { out } = lossResult as ReturnType<typeof finish>;
    const outer = new Map<string, tf.Tensor>(outerNames.map((n, i) => [n, grads[i]]));
    const inner = blockParamGrads(sink, arch);
    const gradMap = new Map<string, tf.Tensor>([...params.keys()].map((n) => [n, outer.get(n) ?? inner.get(n)!]));
    let puzzleEmbGrad: TrainOutput['puzzleEmbGrad'] = null;
    if (rowsAreLeaf) puzzleEmbGrad = { ids: prep.data.puzzleIdentifiers.slice(), grad: grads[outerNames.length] as tf.Tensor2D };
    if (rows) rows.dispose();
    return { ...out, grads: gradMap, puzzleEmbGrad };
  };

  const initialCarry = (batchSize: number): Carry => {
    const shape: [number, number, number] = [batchSize, d.totalLen, arch.hidden_size];
    return {
      zH: tf.tidy(() => tf.broadcastTo(hInit, shape)) as tf.Tensor3D,
      zL: tf.tidy(() => tf.broadcastTo(lInit, shape)) as tf.Tensor3D,
      steps: new Int32Array(batchSize),
      halted: new Uint8Array(batchSize).fill(1),
      data: { inputs: new Int32Array(batchSize * S), labels: new Int32Array(batchSize * S).fill(-100), puzzleIdentifiers: new Int32Array(batchSize) },
    };
  };

  const allTensors = (): Map<string, tf.Variable> => {
    const m = new Map<string, tf.Variable>(params);
    m.set(H_INIT, hInit);
    m.set(L_INIT, lInit);
    if (puzzleEmb) m.set(PUZZLE_EMB, puzzleEmb);
    return m;
  };

  const stateDict = (): TensorDict => {
    const out: TensorDict = {};
    for (const [name, v] of allTensors()) out[name] = { dtype: 'float32', shape: [...v.shape], data: (v.dataSync() as Float32Array).slice() };
    return out;
  };

  const loadStateDict = (dict: TensorDict): void => {
    const values = checkedValues(arch, dict, 'loadStateDict');
    for (const [name, v] of allTensors()) tf.tidy(() => v.assign(tf.tensor(values.get(name)!, v.shape, 'float32')));
  };

  const count = (t: tf.Tensor) => t.size;
  return {
    arch,
    params,
    puzzleEmb,
    initialCarry,
    forward,
    forwardBackward,
    stateDict,
    loadStateDict,
    parameterCount: () => ({ model: [...params.values()].reduce((a, t) => a + count(t), 0), puzzleEmb: puzzleEmb ? puzzleEmb.size : 0 }),
    dispose: () => {
      tf.dispose([...allTensors().values()]);
      if (ctx.rope) tf.dispose([ctx.rope.cos, ctx.rope.sin]);
    },
  };
}

function scaled(g: Float64Array, s: number): Float64Array {
  const out = new Float64Array(g.length);
  for (let i = 0; i < g.length; i++) out[i] = s * g[i];
  return out;
}
