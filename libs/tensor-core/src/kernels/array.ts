// Fast implementations of tensor-core's loops over plain Float32Arrays (adamAtan2Step and emaStep, also the
// all-reduce's sums). tensor-core has none of its own: a provider registers them (the native addon of
// @trm/tensor-node); without one the JS loops run, which are their definition (optim/adam-atan2.ts, optim/ema.ts).

/** The loops; scalars already rounded to float32. */
export interface ArrayKernels {
  /** adamAtan2Step's update in place, from its float32 constants */
  adamAtan2(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, decay: number, keep1: number, keep2: number, stepSize: number, sqrtBias2: number): void;
  /** shadow = keep * p + rate * shadow, in place */
  ema(shadow: Float32Array, p: Float32Array, keep: number, rate: number): void;
}

let registered: (() => ArrayKernels | null) | null = null;

/** Register this thread's array kernels: a function giving them, or null while they are switched off. */
export function registerArrayKernels(get: (() => ArrayKernels | null) | null): void {
  registered = get;
}

/** The array kernels to use now, or null: the JS loops run. */
export function arrayKernels(): ArrayKernels | null {
  return registered ? registered() : null;
}
