// Worker side of ZeRO-1 (zero1.ts is the main thread's): this worker's contiguous chunk [start, end) of the flat parameter
// vector -- the same chunk it sums in the gradient all-reduce -- with its AdamATan2 moments and EMA shadow. An
// update reads the shard's summed gradient and writes the new weights into the shared vector, from which every
// replica loads the full weights at its next step. An update is either its own request (`update`) or deferred to
// the front of the next step request (`updateBeforeStep`, which waits until every shard is written). The state
// lives beside the replica (a replica is rebuilt when the model's state dict is loaded; the optimizer state must
// survive that).
import { adamAtan2Step, barrierWait, emaStep, reduceChunk } from '@trm/tensor-core';
import type { OptimizerShardArgs, ShardPart, ShardState, UpdateArgs } from './protocol.ts';

export interface OptimizerShard {
  update(args: UpdateArgs): void;
  /** update, then wait until every worker has updated its shard (the replicas then load the whole vector); a worker
   *  whose update fails still joins the wait, so that its peers do not block, then throws */
  updateBeforeStep(args: UpdateArgs): void;
  /** copies of the requested parts of the moments and shadow (the others absent) */
  state(parts: ShardPart[]): Partial<ShardState>;
  load(state: ShardState): void;
}

export function createOptimizerShard(args: OptimizerShardArgs, rank: number): OptimizerShard {
  const { weights, sum, barrier, world, emaRate } = args;
  const [start, end] = reduceChunk(weights.length, world, rank);
  const p = weights.subarray(start, end);
  const g = sum.subarray(start, end);
  const expAvg = new Float32Array(end - start);
  const expAvgSq = new Float32Array(end - start);
  const ema = emaRate === null ? null : p.slice(); // as createEma: the shadow starts at the current weights
  const cfg = { betas: args.betas, weightDecay: args.weightDecay };

  const check = (what: string, got: Float32Array | null, want: Float32Array | null) => {
    if ((got === null) !== (want === null) || (got && got.length !== want!.length)) {
      throw new Error(`optimizer shard ${rank}: ${what} has ${got?.length ?? 'no'} floats, expected ${want?.length ?? 'none'} (elements ${start}..${end})`);
    }
  };

  const update = ({ lr, t }: UpdateArgs) => {
    adamAtan2Step(p, g, expAvg, expAvgSq, lr, t, cfg);
    if (ema) emaStep(ema, p, emaRate!);
  };

  return {
    update,
    updateBeforeStep(u) {
      let failure: unknown = null;
      try {
        update(u);
      } catch (err) {
        failure = err;
      }
      barrierWait(barrier, world);
      if (failure) throw failure;
    },
    state(parts) {
      const all: ShardState = { expAvg, expAvgSq, ema };
      return Object.fromEntries(parts.map((part) => [part, all[part]?.slice() ?? null]));
    },
    load(s) {
      check('exp_avg', s.expAvg, expAvg);
      check('exp_avg_sq', s.expAvgSq, expAvgSq);
      check('ema', s.ema, ema);
      expAvg.set(s.expAvg);
      expAvgSq.set(s.expAvgSq);
      if (ema) ema.set(s.ema!);
    },
  };
}
