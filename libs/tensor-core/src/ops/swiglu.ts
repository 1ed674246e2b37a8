import * as tf from '@tensorflow/tfjs-core';
import { fusedKernels } from '../kernels/fused.ts';
import { addMatMul } from '../kernels/matmul-add.ts';
import { bf16Round, precision } from '../kernels/precision.ts';

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

interface GateKernels {
  /** the projections g = x gate^T, u = x up^T and the gating a = silu(g) * u: [N, inner] each */
  project(x: tf.Tensor2D, gate: tf.Tensor2D, up: tf.Tensor2D): { a: tf.Tensor2D; g: tf.Tensor2D; u: tf.Tensor2D };
  /** the gating a alone (no backward follows: g and u are not kept) */
  gated(x: tf.Tensor2D, gate: tf.Tensor2D, up: tf.Tensor2D): tf.Tensor2D;
  /**
   * [dg, du, ddown] from dy [N, w], da [N, inner] (freed), g, u [N, inner]: the gating's backward and down's gradient
   * dy^T a (added to dDownSum when given)
   */
  backward(dy: tf.Tensor2D, da: tf.Tensor2D, g: tf.Tensor2D, u: tf.Tensor2D, dDownSum?: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
}

/** g = x gate^T, u = x up^T: [N, inner] each. */
function projections(x: tf.Tensor2D, gate: tf.Tensor2D, up: tf.Tensor2D): { g: tf.Tensor2D; u: tf.Tensor2D } {
  return { g: tf.matMul(x, gate, false, true), u: tf.matMul(x, up, false, true) }; // [N, w] x [inner, w]^T
}

/** a of project's result, g and u freed. */
function gatingOnly({ a, g, u }: { a: tf.Tensor2D; g: tf.Tensor2D; u: tf.Tensor2D }): tf.Tensor2D {
  tf.dispose([g, u]);
  return a;
}

/** In tfjs ops (silu recomputed from g); [N, inner] temporaries freed as soon as they are used, at most five alive at once. */
const tfjsKernels: GateKernels = {
  project(x, gate, up) {
    const { g, u } = projections(x, gate, up);
    return { a: tf.tidy(() => tf.mul(silu(g), u) as tf.Tensor2D), g, u };
  },
  gated: (x, gate, up) => gatingOnly(tfjsKernels.project(x, gate, up)),
  backward(dy, da, g, u, dDownSum) {
    const sg = tf.sigmoid(g);
    const s = tf.mul(g, sg) as tf.Tensor2D; // silu(g)
    const dDown = tf.tidy(() => addMatMul(dDownSum, dy, tf.mul(s, u) as tf.Tensor2D, true, false)) as tf.Tensor2D; // [w, inner]
    const du = tf.mul(da, s) as tf.Tensor2D;
    s.dispose();
    const dsilu = tf.tidy(() => tf.mul(sg, tf.add(1, tf.mul(g, tf.sub(1, sg)))));
    sg.dispose();
    const dg = tf.tidy(() => tf.mul(tf.mul(da, u), dsilu)) as tf.Tensor2D;
    tf.dispose([da, dsilu]);
    return [dg, du, dDown];
  },
};

/**
 * In tfjs ops with the reference's bfloat16 roundings (precision bf16 without fused kernels), each op rounded as
 * torch 1.13 computes F.silu(gate) * up and its backward on bfloat16 tensors, the fused kernels' formulas
 * (R = bf16Round): silu(g) = R(g / R(1 + R(exp(-g)))), a = R(silu(g) * u), du = R(da * silu(g)),
 * dg = R(R(R(da * u) * sg) * R(1 + R(g * R(1 - sg)))) with sg = R(1 / R(1 + R(exp(-g)))).
 */
const tfjsBf16Kernels: GateKernels = {
  project(x, gate, up) {
    const { g, u } = projections(x, gate, up);
    return { a: tf.tidy(() => bf16Round(tf.mul(siluBf16(g), u)) as tf.Tensor2D), g, u };
  },
  gated: (x, gate, up) => gatingOnly(tfjsBf16Kernels.project(x, gate, up)),
  backward(dy, da, g, u, dDownSum) {
    const R = bf16Round;
    const s = siluBf16(g) as tf.Tensor2D;
    const dDown = tf.tidy(() => addMatMul(dDownSum, dy, R(tf.mul(s, u)) as tf.Tensor2D, true, false)) as tf.Tensor2D; // [w, inner]
    const du = tf.tidy(() => R(tf.mul(da, s))) as tf.Tensor2D;
    s.dispose();
    const dg = tf.tidy(() => {
      const sg = R(tf.div(1, R(tf.add(1, R(tf.exp(tf.neg(g)))))));
      return R(tf.mul(R(tf.mul(R(tf.mul(da, u)), sg)), R(tf.add(1, R(tf.mul(g, R(tf.sub(1, sg))))))));
    }) as tf.Tensor2D;
    da.dispose();
    return [dg, du, dDown];
  },
};

/** silu(g) as torch computes it on bfloat16 tensors: every op rounded to bfloat16. */
function siluBf16(g: tf.Tensor): tf.Tensor {
  return tf.tidy(() => bf16Round(tf.div(g, bf16Round(tf.add(1, bf16Round(tf.exp(tf.neg(g))))))));
}

/**
 * The gating's kernels: the registered fused ones (the projections with the gating in their GEMM's epilogue where the
 * provider runs it, else the two products and one pass of the gating; one pass gives a, dg and du) or tfjs ops, in
 * bf16 with the reference's roundings. This file's one dispatch.
 */
function kernels(): GateKernels {
  const fused = fusedKernels();
  if (!fused) return precision() === 'bf16' ? tfjsBf16Kernels : tfjsKernels;
  const project = (x: tf.Tensor2D, gate: tf.Tensor2D, up: tf.Tensor2D) => {
    const epilogue = fused.swigluProjections(x, gate, up);
    if (epilogue) return epilogue;
    const { g, u } = projections(x, gate, up);
    return { a: fused.swigluForward(g, u) as tf.Tensor2D, g, u };
  };
  return {
    project,
    gated: (x, gate, up) => fused.swigluGating(x, gate, up) ?? gatingOnly(project(x, gate, up)),
    backward(dy, da, g, u, dDownSum) {
      const [a, dg, du] = fused.swigluBackward(da, g, u) as tf.Tensor2D[]; // [N, inner] each
      da.dispose();
      const dDown = addMatMul(dDownSum, dy, a, true, false) as tf.Tensor2D; // [w, inner]
      a.dispose();
      return [dg, du, dDown];
    },
  };
}

/** SwiGLU forward on rows. x: [N, w], gate/up [inner, w], down [w, inner] -> y [N, w] and the activations g, u [N, inner]. */
export function swigluForward(x: tf.Tensor2D, gate: tf.Tensor2D, up: tf.Tensor2D, down: tf.Tensor2D): { y: tf.Tensor2D; g: tf.Tensor2D; u: tf.Tensor2D } {
  return tf.tidy(() => {
    const { a, g, u } = kernels().project(x, gate, up); // [N, inner] each: g = x gate^T, u = x up^T, a = silu(g) * u
    const y = tf.matMul(a, down, false, true) as tf.Tensor2D; // [N, w]
    return { y, g, u };
  });
}

/**
 * SwiGLU forward on rows when no backward follows (rounds without gradient): y [N, w] alone, the same bits as
 * swigluForward's; g and u are not kept (the fused kernels do not write them).
 */
export function swigluValue(x: tf.Tensor2D, gate: tf.Tensor2D, up: tf.Tensor2D, down: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const a = kernels().gated(x, gate, up); // [N, inner]
    return tf.matMul(a, down, false, true) as tf.Tensor2D; // [N, w]
  });
}

/** Earlier gradients of the SwiGLU weights [gate, up, down] to add this call's to (undefined: none yet). */
export type SwigluGradSums = [tf.Tensor2D | undefined, tf.Tensor2D | undefined, tf.Tensor2D | undefined];

/**
 * SwiGLU backward (silu recomputed from g): [dx [N, w], dgate [inner, w], dup [inner, w], ddown [w, inner]], each
 * weight's gradient added to its entry of `sums` when there is one (a weight used many times).
 */
export function swigluBackward(
  dy: tf.Tensor2D,
  x: tf.Tensor2D,
  g: tf.Tensor2D,
  u: tf.Tensor2D,
  gate: tf.Tensor2D,
  up: tf.Tensor2D,
  down: tf.Tensor2D,
  sums: SwigluGradSums = [undefined, undefined, undefined],
): [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D] {
  return tf.tidy(() => {
    const da = tf.matMul(dy, down) as tf.Tensor2D; // [N, inner]
    const [dg, du, dDown] = kernels().backward(dy, da, g, u, sums[2]);
    const dx = tf.add(tf.matMul(dg, gate), tf.matMul(du, up)) as tf.Tensor2D; // [N, w]
    const dGate = addMatMul(sums[0], dg, x, true, false) as tf.Tensor2D; // [inner, w]
    const dUp = addMatMul(sums[1], du, x, true, false) as tf.Tensor2D; // [inner, w]
    return [dx, dGate, dUp, dDown] as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  });
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
 * slice gate_up_proj once per pass). x: [..., w] -> [..., w].
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
