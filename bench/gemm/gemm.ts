// A/B benchmark: tfjs-wasm's MatMul, the emitted wasm GEMM (trm) and the native addon on the same heap, per training shape.
// Run: node --import tsx bench/gemm/gemm.ts [reps] [mr nr unroll kc mc nc fma]
// Reports CPU time (process.cpuUsage) per product, the best of `reps` alternating runs (the machine is shared:
// the minimum is the least disturbed), and GFLOP/s. fma=1 turns on Node 20's --experimental-wasm-relaxed-simd.
import { setFlagsFromString } from 'node:v8';
import * as tf from '@tensorflow/tfjs-core';
import { createGemm, installWasmGemm, type GemmHeap } from '@trm/tensor-core';
import { initBackend, nativeAddon } from '@trm/tensor-node';

type WasmMemory = GemmHeap['memory'];

const SHAPES: [number, number, number, number?, number?][] = [
  [1024, 1024, 1024],
  [1552, 512, 2816], // mlp up
  [1552, 1408, 512], // mlp down
  [1552, 2816, 512], // dx of mlp up
  [512, 1552, 2816], // dW of mlp up (x^T dy)
  [97, 64, 97], // attention scores per head
  [97, 97, 64], // attention values per head
  [1552, 512, 512], // qkv / out projection-like
  // transposed operands as stored (tfjs side: explicit Transpose + plain product, as tensor-core's matmul does)
  [512, 1552, 2816, 1, 0], // dW = x^T dy, x stored [1552, 512]
  [1552, 2816, 512, 0, 1], // dx = dy W^T, W stored [512, 2816]
  [97, 64, 97, 0, 1], // q k^T per head, k stored [97, 64]
  [1, 512, 512], // a single row (M = 1)
  // config b (h128, mlp_t, seq 97) at a worker's batch of 32, as its forwardBackward issues them (README: by shape)
  [4096, 97, 512, 0, 1], // 12: token mixing up, x [B*128, 97] W^T
  [3104, 128, 512, 0, 1], // 13: channel MLP up
  [512, 4096, 97, 1, 0], // 14: dW of token mixing down (x^T dy), K = batch x hidden
  [4096, 512, 97, 0, 1], // 15: token mixing down
  [4096, 512, 97], // 16: dx of token mixing up
  [512, 3104, 128, 1, 0], // 17: dW of channel MLP down, K = batch x seq
  [3104, 512, 128], // 18: dx of channel MLP up
  [128, 3104, 512, 1, 0], // 19: dW of channel MLP up
  [97, 4096, 512, 1, 0], // 20: dW of token mixing up
];

function cpuMs(fn: () => void): number {
  const t0 = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000;
}
const best = (xs: number[]): number => Math.min(...xs);

async function main(): Promise<void> {
  await initBackend('wasm');
  installWasmGemm('tfjs'); // tf.matMul below is tfjs's own kernel
  const reps = Number(process.argv[2] ?? 5);
  const [mr, nr, unroll, kc, mc, nc, fma] = process.argv.slice(3).map(Number);
  if (fma === 1) setFlagsFromString('--experimental-wasm-relaxed-simd');
  const be = tf.backend() as unknown as { wasm: { asm: { memory: WasmMemory }; _malloc(n: number): number; _free(p: number): void }; dataIdMap: { get(id: object): { memoryOffset: number } } };
  const heap = { memory: be.wasm.asm.memory, malloc: (n: number) => be.wasm._malloc(n) >>> 0, free: (p: number) => be.wasm._free(p) };
  const over = Object.fromEntries(Object.entries({ mr, nr, unroll, kc, mc, nc }).filter(([, v]) => Number.isFinite(v)));
  const gemm = createGemm(heap, { ...over, fma: fma === 1 });
  const native = nativeAddon();
  if (!native) throw new Error('bench-gemm: the native GEMM did not load');
  console.log('config', JSON.stringify(gemm.config), 'native', JSON.stringify(native.shape()));
  const off = (t: tf.Tensor): number => be.dataIdMap.get(t.dataId).memoryOffset;
  const pick = process.env.GEMM_SHAPES?.split(",").map(Number);
  for (const [M, K, N, tA = 0, tB = 0] of pick ? pick.map((i) => SHAPES[i]) : SHAPES) {
    const a = tf.randomNormal(tA ? [K, M] : [M, K]);
    const b = tf.randomNormal(tB ? [N, K] : [K, N]);
    const c = tf.zeros([M, N]);
    const inner = Math.max(1, Math.round(2e8 / (2 * M * N * K))); // small products: several per timing
    const tfProduct = (): tf.Tensor => tf.tidy(() => tf.matMul(tA ? tf.transpose(a) : a, tB ? tf.transpose(b) : b));
    const runTf = (): void => { for (let i = 0; i < inner; i++) tfProduct().dispose(); };
    const runOurs = (): void => { for (let i = 0; i < inner; i++) gemm.matmul(off(a), off(b), off(c), M, N, K, tA === 1, tB === 1); };
    const runNative = (): void => { for (let i = 0; i < inner; i++) native.gemm(be.wasm.asm.memory.buffer, off(a), off(b), off(c), M, N, K, tA === 1, tB === 1, 1, 0, 0, 0); };
    const ref = tfProduct();
    const relErr = (run: () => void): number => (run(), tf.max(tf.abs(tf.sub(ref, c))).dataSync()[0] / tf.max(tf.abs(ref)).dataSync()[0]);
    const errTrm = relErr(runOurs), errNative = relErr(runNative);
    ref.dispose();
    const tTf: number[] = [], tOurs: number[] = [], tNative: number[] = [];
    for (let r = 0; r < reps; r++) {
      tTf.push(cpuMs(runTf) / inner);
      tOurs.push(cpuMs(runOurs) / inner);
      tNative.push(cpuMs(runNative) / inner);
    }
    const gf = (ms: number): string => ((2 * M * N * K) / ms / 1e6).toFixed(1);
    const mt = best(tTf), mo = best(tOurs), mn = best(tNative);
    console.log(`[${M}x${K}]${tA ? 'T' : ''}x[${K}x${N}]${tB ? 'T' : ''}  tfjs ${mt.toFixed(3)} ms ${gf(mt)} GF/s | trm ${mo.toFixed(3)} ms ${gf(mo)} GF/s | native ${mn.toFixed(3)} ms ${gf(mn)} GF/s | native/trm x${(mo / mn).toFixed(2)} | rel.err trm ${errTrm.toExponential(1)} native ${errNative.toExponential(1)}`);
    tf.dispose([a, b, c]);
  }
  gemm.dispose();
}
main();
