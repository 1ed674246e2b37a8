import * as tf from '@tensorflow/tfjs-core';

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

/**
 * down(silu(gate) * up) with [gate | up] = gateUp(x) (gate = first half of gateUp's rows). x: [..., w] -> [..., w].
 * Fused with a hand-written gradient: gate and up come from row slices of the weight (no activation split), and
 * only x, gate and up are kept for the backward pass (recomputing silu), instead of every intermediate.
 */
export function swiglu(x: tf.Tensor, gateUp: tf.Tensor2D, down: tf.Tensor2D): tf.Tensor {
  const [w, inner] = down.shape;
  if (gateUp.shape[0] !== 2 * inner || gateUp.shape[1] !== w || x.shape[x.shape.length - 1] !== w) {
    throw new Error(`swiglu: shapes x [${x.shape}], gate_up [${gateUp.shape}], down [${down.shape}] do not fit`);
  }
  const lead = x.shape.slice(0, -1);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x2, gu, dn] = args.slice(0, 3) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const save = args[3] as tf.GradSaveFunc;
    // Weights are transposed explicitly (small); activations never are in the forward pass.
    const [g, u, y] = tf.tidy(() => {
      const g = tf.matMul(x2, tf.transpose(tf.slice(gu, [0, 0], [inner, w]))); // [N, inner]
      const u = tf.matMul(x2, tf.transpose(tf.slice(gu, [inner, 0], [inner, w]))); // [N, inner]
      const y = tf.matMul(tf.mul(silu(g), u), tf.transpose(dn)); // [N, w]
      return [g, u, y];
    });
    save([x2, g, u]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [xs, gs, us] = saved as tf.Tensor2D[];
          const sg = tf.sigmoid(gs);
          const s = tf.mul(gs, sg); // silu(g)
          const da = tf.matMul(dy as tf.Tensor2D, dn); // [N, inner]
          const dDown = tf.matMul(tf.transpose(dy) as tf.Tensor2D, tf.mul(s, us) as tf.Tensor2D); // [w, inner]
          const du = tf.mul(da, s) as tf.Tensor2D;
          const dsilu = tf.mul(sg, tf.add(1, tf.mul(gs, tf.sub(1, sg))));
          const dg = tf.mul(tf.mul(da, us), dsilu) as tf.Tensor2D;
          const wg = tf.slice(gu, [0, 0], [inner, w]);
          const wu = tf.slice(gu, [inner, 0], [inner, w]);
          const dx = tf.add(tf.matMul(dg, wg), tf.matMul(du, wu)); // [N, w]
          const xT = tf.transpose(xs) as tf.Tensor2D; // [w, N]
          const dGateUp = tf.transpose(tf.concat([tf.matMul(xT, dg), tf.matMul(xT, du)], 1)); // [2*inner, w]
          return [dx, dGateUp, dDown];
        }),
    };
  });
  const y = op(tf.reshape(x, [-1, w]), gateUp, down);
  return tf.reshape(y, [...lead, w]);
}
