// @trm/trm: the TRM model, its training loop and evaluation (browser-safe: no Node, no files; the worker-thread
// data parallelism is @trm/trm-parallel).
export type { ArchConfig, Batch, Carry, StepMetrics, StepOutput, TrainOutput, TrmModel } from './model/types.ts';
export { createModel, disposeCarry } from './model/model.ts';
export { dims as archDims, bufferSpecs, H_INIT, L_INIT, paramSpecs, PUZZLE_EMB, validateArch } from './model/params.ts';
export type { Dims } from './model/params.ts';
export type { EncodedSplit, SplitIndex } from './data/split.ts';
export { indexSplit } from './data/split.ts';
export { createTrainLoader } from './data/loader.ts';
export type { LoaderPosition, TrainLoader } from './data/loader.ts';
export type { TrainConfig } from '@trm/trm-config';
export { archSchema, totalTrainSteps, trainSchema, validateTrainConfig } from '@trm/trm-config';
export { createOptimizer, createTrainer } from './train/trainer.ts';
export type { Optimizer, OptimizerSettings, Trainer, TrainerOptions, TrainRuntime, TrainStepMetrics } from './train/trainer.ts';
export { createMicroBatchedModel } from './train/micro-batch.ts';
export { concat, rowRanges, sumMetrics } from './train/join.ts';
export type { TrainerState, TrainerMeta } from './train/state.ts';
export { toyArch, toyCopySplit, toyTrainConfig } from './train/toy.ts';
export { combineEvalBatches, evaluateBatches, evaluateModel } from './eval/evaluate.ts';
export type { EvalBatchResult, EvalMetrics, EvalOptions, EvalResult } from './eval/evaluate.ts';
export { archFromMetadata, checkFits, loadModel, ModelFileError } from './infer/load.ts';
export type { DataShape, LoadedModel } from './infer/load.ts';
export { solve, solveSteps } from './infer/solve.ts';
export type { SolveOptions, SolveRow, SolveStep, SolveTrace } from './infer/solve.ts';
