// Batched per-head products q k^T [64, 97, 64]: tensor-core's current matmul path (explicit Transpose, per-slice
// host copies) against tf.matMul with a transpose flag, under each BatchMatMul kernel. CPU time, best of 5.
// Run: node --import tsx bench/gemm/batched.ts
import * as tf from '@tensorflow/tfjs-core';
import { installWasmGemm, matmul, transposeLast2 } from '@trm/tensor-core';
import { initBackend } from '@trm/tensor-node';
const cpu = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
async function main(): Promise<void> {
  await initBackend('wasm');
  const [H, S, D] = [64, 97, 64]; // 64 (batch x head) slices of a 97-token sequence, head dim 64
  const q = tf.randomNormal([H, S, D]), k = tf.randomNormal([H, S, D]);
  const variants: [string, 'tfjs' | 'trm', () => tf.Tensor][] = [
    ['tensor-core matmul(q, k^T) [transpose + per-slice host copies], tfjs kernel', 'tfjs', () => tf.tidy(() => matmul(q, transposeLast2(k)))],
    ['tensor-core matmul(q, k^T) [transpose + per-slice host copies], trm kernel', 'trm', () => tf.tidy(() => matmul(q, transposeLast2(k)))],
    ['tf.matMul(q, k, false, true) batched in place, trm kernel', 'trm', () => tf.matMul(q, k, false, true)],
    ['tf.matMul(q, k, false, true) batched, tfjs kernel', 'tfjs', () => tf.matMul(q, k, false, true)],
  ];
  const best: number[] = variants.map(() => Infinity);
  let ref: Float32Array | null = null;
  for (let r = 0; r < 5; r++) variants.forEach(([, g, f], i) => {
    installWasmGemm(g);
    const c0 = cpu(); const t = f(); const out = t.dataSync() as Float32Array; best[i] = Math.min(best[i], cpu() - c0);
    if (!ref) ref = out.slice(); else { let e = 0; for (let j = 0; j < out.length; j++) e = Math.max(e, Math.abs(out[j] - ref[j])); if (e > 1e-3) throw new Error(`variant ${i} differs by ${e}`); }
    t.dispose();
  });
  variants.forEach(([n], i) => console.log(`${best[i].toFixed(1).padStart(7)} ms  ${n}`));
}
main();
