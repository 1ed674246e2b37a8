import * as tf from '@tensorflow/tfjs-core';
import { fusedKernels, type FusedKernels } from '../kernels/fused.ts';
import { gemmActive } from '../kernels/matmul.ts';

/** Python's round(): halves go to the even neighbour. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Inner width of a SwiGLU of width `width`: round(e*w*2/3) rounded up to a multiple of 256. */
export function swigluInner(width: number, expansion: number): number {
  return Math.ceil(roundHalfEven((expansion * width * 2) / 3) / 256) * 256;
}

/** silu(x) = x * sigmoid(x) */
export function silu(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.sigmoid(x));
}

/** down(silu(gate) * up) with [gate | up] = gateUp(x) (gate = first half of gateUp's rows). x: [..., w] -> [..., w]. */
export function swiglu(x: tf.Tensor, gateUp: tf.Tensor2D, down: tf.Tensor2D): tf.Tensor {
  const inner = down.shape[1];
  const w = down.shape[0];
  return swigluSplit(x, tf.slice(gateUp, [0, 0], [inner, w]), tf.slice(gateUp, [inner, 0], [inner, w]), down);
}

/** SwiGLU forward on rows. x: [N, w], gate/up [inner, w], down [w, inner] -> y [N, w] and the activations g, u [N, inner]. */
export function swigluForward(x: tf.Tensor2D, gate: tf.Tensor2D, up: tf.Tensor2D, down: tf.Tensor2D): { y: tf.Tensor2D; g: tf.Tensor2D; u: tf.Tensor2D } {
  // With tensor-core's GEMM the weights are read transposed in place; otherwise they are transposed explicitly
  // (small); activations never are in the forward pass.
  const flags = gemmActive();
  const xWT = (a: tf.Tensor2D, weight: tf.Tensor2D) => (flags ? tf.matMul(a, weight, false, true) : tf.matMul(a, tf.transpose(weight)));
  return tf.tidy(() => {
    const g = xWT(x, gate); // [N, inner]
    const u = xWT(x, up); // [N, inner]
    const fused = fusedKernels();
    const a = fused ? fused.swigluForward(g, u) : tf.tidy(() => tf.mul(silu(g), u)); // [N, inner]
    const y = xWT(a as tf.Tensor2D, down); // [N, w]
    return { y, g, u } as { y: tf.Tensor2D; g: tf.Tensor2D; u: tf.Tensor2D };
  });
}

/**
 * SwiGLU backward (silu recomputed from g): [dx [N, w], dgate [inner, w], dup [inner, w], ddown [w, inner]].
 * The gating's gradients come from the native fused kernel when it is active (fused-kernels.ts), else tfjs ops.
 */
export function swigluBackward(
  dy: tf.Tensor2D,
  x: tf.Tensor2D,
  g: tf.Tensor2D,
  u: tf.Tensor2D,
  gate: tf.Tensor2D,
  up: tf.Tensor2D,
  down: tf.Tensor2D,
): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] {
  // aTb(a, b) = a^T b: in place with tensor-core's GEMM, else through an explicit transpose
  const aTb: ATb = (a, b) => (gemmActive() ? tf.matMul(a, b, true, false) : tf.matMul(tf.transpose(a) as tf.Tensor2D, b));
  return tf.tidy(() => {
    const da = tf.matMul(dy, down) as tf.Tensor2D; // [N, inner]
    const fused = fusedKernels();
    const [dg, du, dDown] = fused ? swigluGateBackwardFused(fused, dy, da, g, u, aTb) : swigluGateBackward(dy, da, g, u, aTb);
    const dx = tf.add(tf.matMul(dg, gate), tf.matMul(du, up)) as tf.Tensor2D; // [N, w]
    if (gemmActive()) {
      const dGate = tf.matMul(dg, x, true, false); // [inner, w]
      const dUp = tf.matMul(du, x, true, false);
      return [dx, dGate, dUp, dDown] as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    }
    const xT = tf.transpose(x) as tf.Tensor2D; // [w, N]
    const dGate = tf.transpose(tf.matMul(xT, dg)) as tf.Tensor2D; // [inner, w]
    const dUp = tf.transpose(tf.matMul(xT, du)) as tf.Tensor2D;
    return [dx, dGate, dUp, dDown] as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  });
}

type ATb = (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D;

/**
 * The gating's backward in tfjs ops: [dg, du, ddown] from dy [N, w], da [N, inner] (disposed), g, u [N, inner].
 * [N, inner] temporaries are freed as soon as they are used, so at most five of them are alive at once.
 */
function swigluGateBackward(dy: tf.Tensor2D, da: tf.Tensor2D, g: tf.Tensor2D, u: tf.Tensor2D, aTb: ATb): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] {
  const sg = tf.sigmoid(g);
  const s = tf.mul(g, sg) as tf.Tensor2D; // silu(g)
  const dDown = tf.tidy(() => aTb(dy, tf.mul(s, u) as tf.Tensor2D)); // [w, inner]
  const du = tf.mul(da, s) as tf.Tensor2D;
  s.dispose();
  const dsilu = tf.tidy(() => tf.mul(sg, tf.add(1, tf.mul(g, tf.sub(1, sg)))));
  sg.dispose();
  const dg = tf.tidy(() => tf.mul(tf.mul(da, u), dsilu)) as tf.Tensor2D;
  tf.dispose([da, dsilu]);
  return [dg, du, dDown];
}

/** The same with the native fused kernel: one pass gives a = silu(g) * u, dg and du. */
function swigluGateBackwardFused(fused: FusedKernels, dy: tf.Tensor2D, da: tf.Tensor2D, g: tf.Tensor2D, u: tf.Tensor2D, aTb: ATb): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] {
  const [a, dg, du] = fused.swigluBackward(da, g, u) as tf.Tensor2D[]; // [N, inner] each
  da.dispose();
  const dDown = aTb(dy, a); // [w, inner]
  a.dispose();
  return [dg, du, dDown];
}

/** Throws unless x [..., w], gate/up [inner, w] and down [w, inner] fit together. */
export function checkSwigluShapes(x: tf.Tensor, gate: tf.Tensor2D, up: tf.Tensor2D, down: tf.Tensor2D): void {
  const [w, inner] = down.shape;
  if (gate.shape[0] !== inner || gate.shape[1] !== w || up.shape[0] !== inner || up.shape[1] !== w || x.shape[x.shape.length - 1] !== w) {
    throw new Error(`swiglu: shapes x [${x.shape}], gate [${gate.shape}], up [${up.shape}], down [${down.shape}] do not fit`);
  }
}

/**
 * down(silu(gate(x)) * up(x)) with the gate and up weights [inner, w] given apart (callers that run many blocks
 * slice gate_up_proj once per pass: Slice is slow on wasm). x: [..., w] -> [..., w].
 * Fused with a hand-written gradient: only x, gate and up activations are kept for the backward pass
 * (silu is recomputed), instead of every intermediate.
 */
export function swigluSplit(x: tf.Tensor, gate: tf.Tensor2D, up: tf.Tensor2D, down: tf.Tensor2D): tf.Tensor {
  checkSwigluShapes(x, gate, up, down);
  const w = down.shape[0];
  const lead = x.shape.slice(0, -1);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x2, wg, wu, dn] = args.slice(0, 4) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const save = args[4] as tf.GradSaveFunc;
    const { y, g, u } = swigluForward(x2, wg, wu, dn);
    save([x2, g, u, wg, wu, dn]); // weights too: inputs created inside a gradient's forward scope are disposed after it
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, gs, us, wgs, wus, dns] = saved as tf.Tensor2D[];
        return swigluBackward(dy as tf.Tensor2D, xs, gs, us, wgs, wus, dns);
      },
    };
  });
  const y = op(tf.reshape(x, [-1, w]), gate, up, down);
  return tf.reshape(y, [...lead, w]);
}
