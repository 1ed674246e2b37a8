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

/** down(silu(gate) * up) with [gate | up] = gateUp(x) (gate = first half of gateUp's rows). x: [..., w] -> [..., w]. */
export function swiglu(x: tf.Tensor, gateUp: tf.Tensor2D, down: tf.Tensor2D): tf.Tensor {
  const inner = down.shape[1];
  const w = down.shape[0];
  return swigluSplit(x, tf.slice(gateUp, [0, 0], [inner, w]), tf.slice(gateUp, [inner, 0], [inner, w]), down);
}

/**
 * down(silu(gate(x)) * up(x)) with the gate and up weights [inner, w] given apart (callers that run many blocks
 * slice gate_up_proj once per pass: Slice is slow on wasm). x: [..., w] -> [..., w].
 * Fused with a hand-written gradient: only x, gate and up activations are kept for the backward pass
 * (silu is recomputed), instead of every intermediate.
 */
export function swigluSplit(x: tf.Tensor, gate: tf.Tensor2D, up: tf.Tensor2D, down: tf.Tensor2D): tf.Tensor {
  const [w, inner] = down.shape;
  if (gate.shape[0] !== inner || gate.shape[1] !== w || up.shape[0] !== inner || up.shape[1] !== w || x.shape[x.shape.length - 1] !== w) {
    throw new Error(`swiglu: shapes x [${x.shape}], gate [${gate.shape}], up [${up.shape}], down [${down.shape}] do not fit`);
  }
  const lead = x.shape.slice(0, -1);
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x2, wg, wu, dn] = args.slice(0, 4) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const save = args[4] as tf.GradSaveFunc;
    // Weights are transposed explicitly (small); activations never are in the forward pass.
    const [g, u, y] = tf.tidy(() => {
      const g = tf.matMul(x2, tf.transpose(wg)); // [N, inner]
      const u = tf.matMul(x2, tf.transpose(wu)); // [N, inner]
      const y = tf.matMul(tf.mul(silu(g), u), tf.transpose(dn)); // [N, w]
      return [g, u, y];
    });
    save([x2, g, u, wg, wu, dn]); // weights too: inputs created inside a gradient's forward scope are disposed after it
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const [xs, gs, us, wgs, wus, dns] = saved as tf.Tensor2D[];
          const sg = tf.sigmoid(gs);
          const s = tf.mul(gs, sg); // silu(g)
          const da = tf.matMul(dy as tf.Tensor2D, dns); // [N, inner]
          const dDown = tf.matMul(tf.transpose(dy) as tf.Tensor2D, tf.mul(s, us) as tf.Tensor2D); // [w, inner]
          const du = tf.mul(da, s) as tf.Tensor2D;
          const dsilu = tf.mul(sg, tf.add(1, tf.mul(gs, tf.sub(1, sg))));
          const dg = tf.mul(tf.mul(da, us), dsilu) as tf.Tensor2D;
          const dx = tf.add(tf.matMul(dg, wgs), tf.matMul(du, wus)); // [N, w]
          const xT = tf.transpose(xs) as tf.Tensor2D; // [w, N]
          return [dx, tf.transpose(tf.matMul(xT, dg)), tf.transpose(tf.matMul(xT, du)), dDown]; // dgate, dup [inner, w]
        }),
    };
  });
  const y = op(tf.reshape(x, [-1, w]), gate, up, down);
  return tf.reshape(y, [...lead, w]);
}
