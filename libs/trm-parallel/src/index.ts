// @trm/trm-parallel (Node only): data parallelism over worker threads. A TrmModel whose calls are split across
// workers (createDataParallelModel) and the trainer that runs on them (createParallelTrainer).
export { createDataParallelModel } from './data-parallel-model.ts';
export type { DataParallelModel, DataParallelOptions } from './data-parallel-model.ts';
export type { OptimizerSettings, ShardedOptimizer } from './sharded-optimizer.ts';
export { createParallelTrainer } from './parallel-trainer.ts';
export { matmulThroughput } from './probe.ts';
export type { MatmulThroughput } from './probe.ts';
export { resolveWorkerCount } from './pool.ts';
export type { ThreadMemory } from './protocol.ts';
