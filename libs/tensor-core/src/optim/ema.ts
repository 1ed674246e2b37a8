// Exponential moving average of the trained parameters (the reference's EMAHelper): after every step
//   shadow = (1 - rate) * param + rate * shadow
// Only the AdamATan2-trained params are averaged; buffers such as the puzzle embeddings are not. Defined once on
// Float32Arrays (emaStep); createEma is the same on tfjs variables, checked against it as AdamATan2's (adam-atan2.ts).
import * as tf from '@tensorflow/tfjs-core';
import type { TensorDict } from '../tensor-dict.ts';
import { toHostTensor } from '../checkpoint/host.ts';
import { arrayKernels } from '../kernels/array.ts';

/** shadow = (1 - rate) * p + rate * shadow, in place on `shadow`, rounded to float32 as tfjs does. */
export function emaStep(shadow: Float32Array, p: Float32Array, rate: number): void {
  if (shadow.length !== p.length) throw new Error(`emaStep: shadow has ${shadow.length} floats, param ${p.length}`);
  const f = Math.fround;
  const keep = f(1 - rate);
  const r = f(rate);
  const fast = arrayKernels();
  if (fast) return fast.ema(shadow, p, keep, r);
  for (let i = 0; i < p.length; i++) shadow[i] = f(f(p[i] * keep) + f(shadow[i] * r));
}

/** The EMA on tfjs variables. */
export interface Ema {
  readonly rate: number;
  update(): void;
  /** the shadow weights under the params' names */
  stateDict(): TensorDict;
  loadStateDict(dict: TensorDict): void;
  dispose(): void;
}

export function createEma(params: Map<string, tf.Variable>, rate = 0.999): Ema {
  const shadow = new Map<string, tf.Variable>();
  for (const [name, p] of params) shadow.set(name, tf.variable(tf.clone(p), false));
  return {
    rate,
    update() {
      for (const [name, p] of params) {
        const s = shadow.get(name)!;
        tf.tidy(() => s.assign(tf.add(tf.mul(p, 1 - rate), tf.mul(s, rate))));
      }
    },
    stateDict() {
      const out: TensorDict = {};
      for (const [name, s] of shadow) out[name] = toHostTensor(s);
      return out;
    },
    loadStateDict(dict) {
      for (const [name, s] of shadow) {
        const h = dict[name];
        if (!h) throw new Error(`Ema.loadStateDict: missing "${name}"`);
        if (h.dtype !== 'float32' || h.data.length !== s.size) {
          throw new Error(`Ema.loadStateDict: "${name}" is ${h.dtype} [${h.shape}], expected float32 [${s.shape}]`);
        }
        s.assign(tf.tensor(h.data as Float32Array, s.shape, 'float32'));
      }
    },
    dispose() {
      for (const s of shadow.values()) s.dispose();
      shadow.clear();
    },
  };
}
