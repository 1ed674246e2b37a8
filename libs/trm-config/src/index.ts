// The configuration of a TRM, defined once (zod): the architecture (`arch`) and the training hyper-parameters
// (`train`) with the reference's names, defaults and ranges. Depends on zod alone, so that reading and checking a
// config (the pipeline's runner, a browser page) does not load the engine; @trm/trm re-exports all of it.
export { archConfigSchema, archSchema, dataShapeSchema, issueLines } from './arch.ts';
export type { ArchConfig, ArchSettings } from './arch.ts';
export { totalTrainSteps, trainSchema, validateTrainConfig } from './train.ts';
export type { TrainConfig } from './train.ts';
