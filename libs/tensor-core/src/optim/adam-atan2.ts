// AdamATan2 as in the `adam-atan2` package the reference trains with (no epsilon, no a/b scale constants):
//   p *= 1 - lr*wd;  m += (1-b1)(g - m);  v += (1-b2)(g^2 - v);
//   p -= lr/(1-b1^t) * atan2(m, sqrt(v)/sqrt(1-b2^t))
// Defined once, on Float32Arrays: adamAtan2Step, every operation rounded to float32. Its other implementations are
// checked against it (adam-atan2.test.ts): createAdamATan2, the same rule on tfjs variables (bit for bit on the cpu
// backend, up to the last bit of atan2 on wasm), used by the in-thread trainer; and the array kernel a provider may
// register (kernels/array.ts: the native addon), which adamAtan2Step then runs (the data-parallel optimizer shards).
import * as tf from '@tensorflow/tfjs-core';
import type { TensorDict } from '../tensor-dict.ts';
import { toHostTensor } from '../checkpoint/host.ts';
import { arrayKernels } from '../kernels/array.ts';

export interface AdamATan2Config {
  betas: [number, number];
  weightDecay: number;
}

/**
 * AdamATan2 update number `t` (1-based) with learning rate `lr`, in place on `p`, `m`, `v` (all of g's length; any
 * contiguous part of a parameter vector, e.g. a worker's shard).
 */
export function adamAtan2Step(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, lr: number, t: number, cfg: AdamATan2Config): void {
  if (p.length !== g.length || m.length !== g.length || v.length !== g.length) {
    throw new Error(`adamAtan2Step: lengths differ (param ${p.length}, grad ${g.length}, exp_avg ${m.length}, exp_avg_sq ${v.length})`);
  }
  if (!(Number.isInteger(t) && t >= 1)) throw new Error(`adamAtan2Step: step t must be an integer >= 1, got ${t}`);
  const f = Math.fround;
  const [b1, b2] = cfg.betas;
  const decay = f(1 - lr * cfg.weightDecay);
  const keep1 = f(1 - b1);
  const keep2 = f(1 - b2);
  const stepSize = f(lr / (1 - Math.pow(b1, t)));
  const sqrtBias2 = f(Math.sqrt(1 - Math.pow(b2, t)));
  const fast = arrayKernels();
  if (fast) return fast.adamAtan2(p, g, m, v, decay, keep1, keep2, stepSize, sqrtBias2);
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

/** AdamATan2 on tfjs variables (moments on the backend; every update inside tf.tidy). */
export interface AdamATan2 {
  /** updates taken so far (t of the last update) */
  readonly t: number;
  /** one update of every param that has a gradient; params without a gradient are left alone (as torch) */
  step(grads: Map<string, tf.Tensor>, lr: number): void;
  /** `<name>.exp_avg`, `<name>.exp_avg_sq` for every param (float32); the step goes to the JSON side */
  stateDict(): TensorDict;
  loadStateDict(dict: TensorDict, t: number): void;
  dispose(): void;
}

export function createAdamATan2(params: Map<string, tf.Variable>, cfg: AdamATan2Config): AdamATan2 {
  const [b1, b2] = cfg.betas;
  const moments = new Map<string, { m: tf.Variable; v: tf.Variable }>();
  for (const [name, p] of params) {
    moments.set(name, { m: tf.variable(tf.zerosLike(p), false), v: tf.variable(tf.zerosLike(p), false) });
  }
  let t = 0;

  function updateOne(p: tf.Variable, g: tf.Tensor, m: tf.Variable, v: tf.Variable, lr: number): void {
    const stepSize = lr / (1 - Math.pow(b1, t));
    const sqrtBias2 = Math.sqrt(1 - Math.pow(b2, t));
    tf.tidy(() => {
      const decayed = tf.mul(p, 1 - lr * cfg.weightDecay);
      const mNew = tf.add(m, tf.mul(tf.sub(g, m), 1 - b1));
      const vNew = tf.add(v, tf.mul(tf.sub(tf.mul(g, g), v), 1 - b2));
      const direction = tf.atan2(mNew, tf.div(tf.sqrt(vNew), sqrtBias2));
      m.assign(mNew);
      v.assign(vNew);
      p.assign(tf.sub(decayed, tf.mul(direction, stepSize)));
    });
  }

  return {
    get t() {
      return t;
    },
    step(grads, lr) {
      t += 1;
      for (const [name, g] of grads) {
        const p = params.get(name);
        const mv = moments.get(name);
        if (!p || !mv) throw new Error(`AdamATan2.step: gradient for unknown parameter "${name}"`);
        if (g.size !== p.size) throw new Error(`AdamATan2.step: gradient of "${name}" has shape [${g.shape}], parameter has [${p.shape}]`);
        updateOne(p, g, mv.m, mv.v, lr);
      }
    },
    stateDict() {
      const out: TensorDict = {};
      for (const [name, { m, v }] of moments) {
        out[`${name}.exp_avg`] = toHostTensor(m);
        out[`${name}.exp_avg_sq`] = toHostTensor(v);
      }
      return out;
    },
    loadStateDict(dict, step) {
      for (const [name, { m, v }] of moments) {
        for (const [suffix, target] of [['exp_avg', m], ['exp_avg_sq', v]] as const) {
          const h = dict[`${name}.${suffix}`];
          if (!h) throw new Error(`AdamATan2.loadStateDict: missing "${name}.${suffix}"`);
          if (h.dtype !== 'float32' || h.data.length !== target.size) {
            throw new Error(`AdamATan2.loadStateDict: "${name}.${suffix}" is ${h.dtype} [${h.shape}], expected float32 [${target.shape}]`);
          }
          target.assign(tf.tensor(h.data as Float32Array, target.shape, 'float32'));
        }
      }
      t = step;
    },
    dispose() {
      for (const { m, v } of moments.values()) {
        m.dispose();
        v.dispose();
      }
      moments.clear();
    },
  };
}
