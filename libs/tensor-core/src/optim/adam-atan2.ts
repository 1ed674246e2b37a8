// AdamATan2 as in the `adam-atan2` package the reference trains with (no epsilon, no a/b scale constants):
//   p *= 1 - lr*wd;  m += (1-b1)(g - m);  v += (1-b2)(g^2 - v);
//   p -= lr/(1-b1^t) * atan2(m, sqrt(v)/sqrt(1-b2^t))
// Moments live on the backend as tf.Variables; every update runs inside tf.tidy.
import * as tf from '@tensorflow/tfjs-core';
import type { TensorDict } from '../tensor-dict.ts';
import { toHostTensor } from '../checkpoint/host.ts';

export interface AdamATan2Config {
  betas: [number, number];
  weightDecay: number;
}

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
