// AdamATan2 and the weight EMA on one contiguous shard of a flat float32 parameter vector (ZeRO-1: each
// data-parallel worker updates its own shard of the summed gradient, with its own shard of the optimizer state,
// straight into the shared weights). Every operation rounds to float32 as the tfjs versions do (optim/adam-atan2.ts,
// optim/ema.ts), so the JS loops equal theirs on the cpu backend bit for bit and on wasm up to the last bit of
// atan2. With array kernels registered (kernels/array.ts: @trm/tensor-node's native addon), the same arithmetic runs
// there: moments and EMA bit for bit, atan2 within an ulp of Math.atan2 (rounded from double).
import { arrayKernels } from '../kernels/array.ts';

export interface AdamShardConfig {
  betas: [number, number];
  weightDecay: number;
}

/**
 * AdamATan2 update number `t` (1-based) with learning rate `lr`, in place on `p`, `m`, `v` (all of g's length):
 *   p *= 1 - lr*wd;  m += (1-b1)(g - m);  v += (1-b2)(g^2 - v);  p -= lr/(1-b1^t) * atan2(m, sqrt(v)/sqrt(1-b2^t))
 */
export function adamAtan2Shard(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lr: number, t: number, cfg: AdamShardConfig): void {
  if (p.length !== g.length || m.length !== g.length || v.length !== g.length) {
    throw new Error(`adamAtan2Shard: lengths differ (param ${p.length}, grad ${g.length}, exp_avg ${m.length}, exp_avg_sq ${v.length})`);
  }
  if (!(Number.isInteger(t) && t >= 1)) throw new Error(`adamAtan2Shard: step t must be an integer >= 1, got ${t}`);
  const f = Math.fround;
  const [b1, b2] = cfg.betas;
  const decay = f(1 - lr * cfg.weightDecay);
  const keep1 = f(1 - b1);
  const keep2 = f(1 - b2);
  const stepSize = f(lr / (1 - Math.pow(b1, t)));
  const sqrtBias2 = f(Math.sqrt(1 - Math.pow(b2, t)));
  const native = arrayKernels();
  if (native) return native.adamAtan2Shard(p, g, m, v, decay, keep1, keep2, stepSize, sqrtBias2);
  for (let i = 0; i < g.length; i++) {
    const gi = g[i];
    const mi = f(m[i] + f(f(gi - m[i]) * keep1));
    const vi = f(v[i] + f(f(f(gi * gi) - v[i]) * keep2));
    const direction = f(Math.atan2(mi, f(f(Math.sqrt(vi)) / sqrtBias2)));
    m[i] = mi;
    v[i] = vi;
    p[i] = f(f(p[i] * decay) - f(direction * stepSize));
  }
}

/** shadow = (1 - rate) * p + rate * shadow, in place on `shadow`. */
export function emaShard(shadow: Float32Array, p: Float32Array, rate: number): void {
  if (shadow.length !== p.length) throw new Error(`emaShard: shadow has ${shadow.length} floats, param shard ${p.length}`);
  const f = Math.fround;
  const keep = f(1 - rate);
  const r = f(rate);
  const native = arrayKernels();
  if (native) return native.emaShard(shadow, p, keep, r);
  for (let i = 0; i < p.length; i++) shadow[i] = f(f(p[i] * keep) + f(shadow[i] * r));
}
