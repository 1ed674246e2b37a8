// @trm/trm-parallel (Node only): data parallelism over worker threads. A TrmModel whose calls are split across
// workers (createDataParallelModel) and the trainer whose steps run on them, with ZeRO-1 (createParallelTrainer).
export { createDataParallelModel } from './data-parallel-model.ts';
export type { DataParallelModel, DataParallelOptions } from './data-parallel-model.ts';
export { createParallelTrainer } from './parallel-trainer.ts';
export type { ReplicaDiagnostics } from './replicas.ts';
export type { ThreadMemory } from './protocol.ts';
