// ZeRO-1 on the replicas' workers, main-thread side: every worker keeps AdamATan2's moments and the EMA shadow of its
// chunk of the flat parameter vector (optimizer-shard.ts), the chunk it sums in the gradient all-reduce, and updates
// that chunk of the shared weights. This handle starts the shards, sends an update as a request of its own (the
// parallel trainer defers it into the next step request instead), and assembles the full state (AdamATan2 moments,
// EMA shadow) from the shards only when asked for (checkpoints, evaluation weights). Keys and layout as
// AdamATan2.stateDict and Ema.stateDict.
import { reduceChunk, type HostTensor, type TensorDict } from '@trm/tensor-core';
import type { OptimizerSettings } from '@trm/trm';
import type { ParamLayout } from './layout.ts';
import type { ShardPart, ShardState } from './protocol.ts';
import type { ReplicaGroup } from './replicas.ts';

export interface Zero1 {
  /** AdamATan2 update number `t` (1-based) with learning rate `lr` on the gradients of the last forwardBackward,
   *  then the EMA; every worker updates its shard of the shared weights */
  update(lr: number, t: number): void;
  /** `<name>.exp_avg`, `<name>.exp_avg_sq` of every param (as AdamATan2.stateDict) */
  optimizerState(): TensorDict;
  /** the EMA shadow under the params' names (as Ema.stateDict); null without EMA */
  emaState(): TensorDict | null;
  /** moments as optimizerState() gives them, the shadow as emaState() (null without EMA) */
  loadState(optim: TensorDict, ema: TensorDict | null): void;
}

/** The rows of one param in a flat vector (one the caller owns), as a host tensor viewing them. */
function host(flat: Float32Array, s: ParamLayout['slots'][number]): HostTensor {
  return { dtype: 'float32', shape: [...s.shape], data: flat.subarray(s.offset, s.offset + s.size) };
}

/** A flat vector from per-param host tensors, checked against the layout. */
function join(layout: ParamLayout, dict: TensorDict, key: (name: string) => string, what: string): Float32Array {
  const flat = new Float32Array(layout.length);
  for (const s of layout.slots) {
    const h = dict[key(s.name)];
    if (!h) throw new Error(`${what}: missing "${key(s.name)}"`);
    if (h.dtype !== 'float32' || h.data.length !== s.size) throw new Error(`${what}: "${key(s.name)}" is ${h.dtype} [${h.shape}], expected float32 [${s.shape}]`);
    flat.set(h.data as Float32Array, s.offset);
  }
  return flat;
}

/** Start the optimizer shards in `group`'s workers, from the shared weights as they are (the EMA shadow starts there). */
export function startZero1(group: ReplicaGroup, settings: OptimizerSettings): Zero1 {
  const { pool, layout } = group;
  const world = pool.size;
  pool.allSync('optimizer', () => ({ weights: group.weights, sum: group.gradients, barrier: group.barrier, world, ...settings }));
  const chunks = Array.from({ length: world }, (_, rank) => reduceChunk(layout.length, world, rank));
  const gather = (states: Partial<ShardState>[], part: ShardPart): Float32Array => {
    const flat = new Float32Array(layout.length);
    states.forEach((s, k) => flat.set(s[part]!, chunks[k][0]));
    return flat;
  };
  const states = (parts: ShardPart[]) => pool.allSync<Partial<ShardState>>('optimizerState', () => ({ parts }));

  return {
    update(lr, t) {
      pool.allSync('update', () => ({ lr, t }));
    },
    optimizerState() {
      const s = states(['expAvg', 'expAvgSq']);
      const [m, v] = [gather(s, 'expAvg'), gather(s, 'expAvgSq')];
      const out: TensorDict = {};
      for (const slot of layout.slots) {
        out[`${slot.name}.exp_avg`] = host(m, slot);
        out[`${slot.name}.exp_avg_sq`] = host(v, slot);
      }
      return out;
    },
    emaState() {
      if (settings.emaRate === null) return null;
      const shadow = gather(states(['ema']), 'ema');
      return Object.fromEntries(layout.slots.map((slot) => [slot.name, host(shadow, slot)]));
    },
    loadState(optim, ema) {
      if ((ema === null) !== (settings.emaRate === null)) throw new Error(`ZeRO-1 optimizer: EMA state ${ema ? 'given' : 'missing'} but the EMA is ${settings.emaRate === null ? 'off' : 'on'}`);
      const m = join(layout, optim, (n) => `${n}.exp_avg`, 'AdamATan2.loadStateDict');
      const v = join(layout, optim, (n) => `${n}.exp_avg_sq`, 'AdamATan2.loadStateDict');
      const e = ema ? join(layout, ema, (n) => n, 'Ema.loadStateDict') : null;
      pool.allSync('loadOptimizerState', (k) => {
        const [a, b] = chunks[k];
        return { expAvg: m.slice(a, b), expAvgSq: v.slice(a, b), ema: e?.slice(a, b) ?? null } satisfies ShardState;
      });
    },
  };
}
