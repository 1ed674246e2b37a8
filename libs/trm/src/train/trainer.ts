// The training loop of pretrain.py: one ACT call per batch with the carry kept across batches, gradient of
// loss/global_batch_size, sparse sign-SGD on the puzzle embeddings and AdamATan2 on the rest (both on the same
// warm-up + cosine schedule), then the EMA update. Pure: the caller persists `state()` and the eval weights.
import * as tf from '@tensorflow/tfjs-core';
import { createRng, deriveSeed, type Rng } from '@trm/augment';
import { cosineLrWithWarmup, createAdamATan2, createEma, sparseSignSgdStep, type TensorDict } from '@trm/tensor-core';
import { createTrainLoader, type TrainLoader } from '../data/loader.ts';
import type { EncodedSplit } from '../data/split.ts';
import { dims as archDims } from '../model/params.ts';
import { createModel, disposeCarry } from '../model/model.ts';
import type { ArchConfig, Carry, StepMetrics, TrmModel } from '../model/types.ts';
import { createMicroBatchedModel } from './micro-batch.ts';
import { evaluateModel, type EvalOptions, type EvalResult } from '../eval/evaluate.ts';
import { totalTrainSteps, validateTrainConfig, type TrainConfig } from '@trm/trm-config';
import { carryFromDict, carryToDict, EMA_PREFIX, modelPart, OPTIM_PREFIX, STATE_KIND, withPrefix, type TrainerState } from './state.ts';

/** One training step, as pretrain.py logs it: losses / global_batch_size, the rest / max(count, 1). */
export interface TrainStepMetrics {
  /** optimizer updates taken, this one included (1-based) */
  step: number;
  epoch: number;
  lr: number;
  loss: number;
  lm_loss: number;
  q_halt_loss: number;
  accuracy: number;
  exact_accuracy: number;
  q_halt_accuracy: number;
  steps: number;
  /** rows that halted this step (with at least one label) */
  count: number;
  /** the model's raw sums over halted rows */
  sums: StepMetrics;
}

export interface Trainer {
  /** the model trained, its weights current (read through this getter: it syncs them first) */
  readonly model: TrmModel;
  readonly totalSteps: number;
  /** updates taken so far */
  readonly stepCount: number;
  readonly done: boolean;
  step(): TrainStepMetrics;
  state(): TrainerState;
  /** the model state dict to evaluate and publish: EMA shadow for the trained params when `ema` is on */
  weightsForEval(): TensorDict;
  /**
   * evaluateModel on the weights weightsForEval() gives, run by the trained model where its steps run (a
   * data-parallel trainer: on its worker threads): the EMA shadow is loaded into it for the evaluation and its own
   * weights put back after, bit for bit, so the training state (weights, optimizer, carry, RNG) is as before
   */
  evaluate(data: EncodedSplit, opts: EvalOptions): EvalResult;
  dispose(): void;
}

/** What the optimizer needs to know (from the train config). */
export interface OptimizerSettings {
  betas: [number, number];
  weightDecay: number;
  /** EMA rate, null = no EMA */
  emaRate: number | null;
}

/** How the trained params move after a forward/backward pass: AdamATan2, then the EMA of the weights. */
export interface Optimizer {
  /** update number `t` (1-based) with learning rate `lr`; `grads` are the pass's dense gradients */
  step(grads: Map<string, tf.Tensor>, lr: number, t: number): void;
  /** `<name>.exp_avg`, `<name>.exp_avg_sq` (AdamATan2.stateDict) */
  optimizerState(): TensorDict;
  /** the EMA shadow under the params' names; null without EMA */
  emaState(): TensorDict | null;
  /** state as the two getters give it, after `t` updates */
  loadState(optim: TensorDict, ema: TensorDict | null, t: number): void;
  dispose(): void;
}

/** AdamATan2 and the EMA with tfjs on this thread, on `params`. */
export function createOptimizer(params: Map<string, tf.Variable>, s: OptimizerSettings): Optimizer {
  const adam = createAdamATan2(params, { betas: s.betas, weightDecay: s.weightDecay });
  const ema = s.emaRate === null ? null : createEma(params, s.emaRate);
  return {
    step(grads, lr, t) {
      if (t !== adam.t + 1) throw new Error(`optimizer: update ${t} after ${adam.t}`);
      adam.step(grads, lr);
      ema?.update();
    },
    optimizerState: () => adam.stateDict(),
    emaState: () => ema?.stateDict() ?? null,
    loadState(optim, emaState, t) {
      adam.loadStateDict(optim, t);
      if (ema && emaState) ema.loadStateDict(emaState);
    },
    dispose() {
      adam.dispose();
      ema?.dispose();
    },
  };
}

/**
 * Where a trainer's steps run: the model, its forward/backward and its optimizer. By default on this thread
 * (localRuntime); @trm/trm-parallel's createParallelTrainer runs them on worker threads.
 */
export interface TrainRuntime {
  /** the model trained (the trainer updates its puzzle-embedding table itself, by sign-SGD) */
  readonly model: TrmModel;
  /** one forward/backward pass; its gradients go to optimizer.step (a runtime whose optimizer reads them where they
   *  are may return an empty map) */
  forwardBackward: TrmModel['forwardBackward'];
  readonly optimizer: Optimizer;
  /** make model's weights current before they are read (an optimizer may apply its update later) */
  syncWeights(): void;
  /** disposes the model and the optimizer */
  dispose(): void;
}

/** The default runtime: `model` and createOptimizer on its params, on this thread. */
export function localRuntime(model: TrmModel, settings: OptimizerSettings): TrainRuntime {
  const optimizer = createOptimizer(model.params, settings);
  return {
    model,
    forwardBackward: (carry, batch, o) => model.forwardBackward(carry, batch, o),
    optimizer,
    syncWeights() {},
    dispose() {
      optimizer.dispose();
      model.dispose();
    },
  };
}

export interface TrainerOptions {
  arch: ArchConfig;
  train: TrainConfig;
  data: EncodedSplit;
  seed: number;
  resume?: TrainerState;
  /** where the steps run (default: localRuntime of createModel(arch, seed), micro-batched by train.micro_batch_size);
   *  the trainer disposes it */
  runtime?: (settings: OptimizerSettings) => TrainRuntime;
}

function checkArchAgainstData(arch: ArchConfig, data: EncodedSplit): void {
  const pairs: [keyof ArchConfig, number][] = [
    ['seq_len', data.seqLen],
    ['vocab_size', data.vocabSize],
    ['num_puzzle_identifiers', data.numPuzzleIdentifiers],
  ];
  for (const [key, value] of pairs) {
    if (arch[key] !== value) throw new Error(`arch.${key} is ${arch[key]} but the encoded train split has ${value}`);
  }
}

export function createTrainer(opts: TrainerOptions): Trainer {
  const { arch, train, data, seed, resume } = opts;
  validateTrainConfig(train);
  checkArchAgainstData(arch, data);
  const B = train.global_batch_size;
  if (resume && (resume.meta?.kind !== STATE_KIND || resume.meta.version !== 1)) {
    throw new Error(`trainer state: kind ${JSON.stringify(resume.meta?.kind)} version ${resume.meta?.version}, expected ${STATE_KIND} version 1`);
  }
  if (resume && resume.meta.seed !== seed) throw new Error(`trainer state: saved with seed ${resume.meta.seed}, resuming with seed ${seed}`);

  const loader: TrainLoader = createTrainLoader(data, B, seed, resume?.meta.loader);
  const totalSteps = totalTrainSteps(train, loader.index.numGroups, loader.index.meanPuzzleExamples);
  const settings: OptimizerSettings = { betas: [train.beta1, train.beta2], weightDecay: train.weight_decay, emaRate: train.ema ? train.ema_rate : null };
  const micro = train.micro_batch_size;
  const runtime = opts.runtime
    ? opts.runtime(settings)
    : localRuntime(micro > 0 && micro < B ? createMicroBatchedModel(createModel(arch, seed), micro) : createModel(arch, seed), settings);
  const { model, optimizer } = runtime;
  if (JSON.stringify(model.arch) !== JSON.stringify(arch)) throw new Error('createTrainer: the runtime\'s model was built for a different arch');
  let rng: Rng = createRng(deriveSeed(seed, 'act-exploration'));
  let step = 0;
  let epoch = 0;
  let carry: Carry | null = null;

  if (resume) {
    const t = resume.tensors;
    model.loadStateDict(modelPart(t));
    optimizer.loadState(withPrefix(t, OPTIM_PREFIX), train.ema ? withPrefix(t, EMA_PREFIX) : null, resume.meta.step);
    rng = createRng(0, resume.meta.rng);
    step = resume.meta.step;
    epoch = resume.meta.epoch;
    if (resume.meta.hasCarry) {
      const d = archDims(arch);
      carry = carryFromDict(t, { batchSize: B, totalLen: d.totalLen, hidden: arch.hidden_size, seqLen: arch.seq_len });
    }
  }

  const lrAt = (baseLr: number, s: number) =>
    cosineLrWithWarmup(s, { baseLr, warmupSteps: Math.round(train.lr_warmup_steps), totalSteps, minRatio: train.lr_min_ratio });

  return {
    get model() {
      runtime.syncWeights();
      return model;
    },
    totalSteps,
    get stepCount() {
      return step;
    },
    get done() {
      return step >= totalSteps;
    },
    step() {
      if (step >= totalSteps) throw new Error(`trainer: all ${totalSteps} steps are done`);
      const next = loader.next();
      const current = carry ?? model.initialCarry(B);
      const out = runtime.forwardBackward(current, next.batch, { rng, lossScale: 1 / B });
      if (!Number.isFinite(out.lossTotal)) {
        tf.dispose([...out.grads.values(), ...(out.puzzleEmbGrad ? [out.puzzleEmbGrad.grad] : [])]);
        disposeCarry(out.carry);
        if (!carry) disposeCarry(current);
        throw new Error(
          `training diverged at step ${step + 1} (epoch ${next.epoch}): loss is ${out.lossTotal}; the weights of step ${step} are kept`,
        );
      }
      disposeCarry(current);
      carry = out.carry;
      step += 1;
      epoch = next.epoch;
      const lr = lrAt(train.lr, step);
      if (out.puzzleEmbGrad && model.puzzleEmb) {
        sparseSignSgdStep(model.puzzleEmb, out.puzzleEmbGrad.ids, out.puzzleEmbGrad.grad, lrAt(train.puzzle_emb_lr, step), train.puzzle_emb_weight_decay);
        out.puzzleEmbGrad.grad.dispose();
      }
      optimizer.step(out.grads, lr, step);
      tf.dispose([...out.grads.values()]);

      const m = out.metrics;
      const count = Math.max(m.count, 1);
      return {
        step,
        epoch,
        lr,
        loss: out.lossTotal / B,
        lm_loss: m.lm_loss / B,
        q_halt_loss: m.q_halt_loss / B,
        accuracy: m.accuracy / count,
        exact_accuracy: m.exact_accuracy / count,
        q_halt_accuracy: m.q_halt_accuracy / count,
        steps: m.steps / count,
        count: m.count,
        sums: { ...m },
      };
    },
    state() {
      runtime.syncWeights();
      const tensors: TensorDict = { ...model.stateDict() };
      for (const [k, v] of Object.entries(optimizer.optimizerState())) tensors[OPTIM_PREFIX + k] = v;
      for (const [k, v] of Object.entries(optimizer.emaState() ?? {})) tensors[EMA_PREFIX + k] = v;
      if (carry) Object.assign(tensors, carryToDict(carry));
      return {
        tensors,
        meta: { kind: STATE_KIND, version: 1, step, totalSteps, epoch, loader: loader.position(), rng: [...rng.state()], seed, hasCarry: carry !== null },
      };
    },
    weightsForEval() {
      runtime.syncWeights();
      const weights = model.stateDict();
      Object.assign(weights, optimizer.emaState() ?? {});
      return weights;
    },
    evaluate(evalData, evalOpts) {
      runtime.syncWeights();
      const ema = optimizer.emaState();
      if (!ema) return evaluateModel(model, evalData, evalOpts);
      const own = model.stateDict(); // copies
      model.loadStateDict({ ...own, ...ema }); // the puzzle embedding, H_init and L_init as they are
      try {
        return evaluateModel(model, evalData, evalOpts);
      } finally {
        model.loadStateDict(own);
      }
    },
    dispose() {
      if (carry) disposeCarry(carry);
      carry = null;
      runtime.dispose();
    },
  };
}

