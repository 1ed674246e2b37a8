export type { ArchConfig, Batch, Carry, StepMetrics, StepOutput, TrainOutput, TrmModel } from './model/types.ts';
