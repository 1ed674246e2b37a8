// The native addon's float32 GEMM against its bfloat16 GEMM kernels (native/gemm-bf16.cc) on the training shapes,
// on one ArrayBuffer (no tfjs). CPU time of the process (process.cpuUsage), the best of --reps alternating runs
// (robust to other load on the machine), and GFLOP/s (2 M N K per product).
// Usage: node --import tsx bench/gemm-bf16.ts [--reps N] [--shapes 0,3,7] [--kernels avx512bf16,fp32-fma]
import { nativeAddon, type Bf16Kernel } from '@trm/tensor-node';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const reps = Number(option('--reps', '5'));
if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps: expected an integer >= 1, got ${option('--reps', '')}`);

// [M, K, N, transA, transB]: op(A) [M, K] x op(B) [K, N], transposed operands as stored
const SHAPES: [number, number, number, number?, number?][] = [
  [1552, 512, 2816], // 0: configs a/d, batch 16: SwiGLU up (gate and up) [B*S, D] x [D, 2 * inner]
  [1552, 1408, 512], // 1: SwiGLU down
  [512, 1552, 2816, 1, 0], // 2: dW of the up projection (x^T dy)
  [1552, 2816, 512, 0, 1], // 3: dx of the up projection (dy W^T)
  [1552, 512, 1536, 0, 1], // 4: qkv projection, x W^T (W stored [out, in])
  [97, 64, 97, 0, 1], // 5: attention scores per head, q k^T
  [97, 97, 64], // 6: attention values per head, p v
  [4096, 97, 512, 0, 1], // 7: config b, a worker's batch of 32: token mixing up
  [3104, 128, 512, 0, 1], // 8: channel MLP up
  [512, 4096, 97, 1, 0], // 9: dW of token mixing down
  [4096, 512, 97, 0, 1], // 10: token mixing down
  [4096, 512, 97], // 11: dx of token mixing up
  [512, 3104, 128, 1, 0], // 12: dW of channel MLP down
  [3104, 512, 128], // 13: dx of channel MLP up
];

const addon = nativeAddon();
if (!addon) throw new Error('gemm-bf16: the native addon did not load (npm run build:native)');
const available: Bf16Kernel[] = addon.bf16Kernels().filter((k) => k !== 'reference');
const kernels = option('--kernels', available.join(',')).split(',') as Bf16Kernel[];
for (const k of kernels) if (!available.includes(k)) throw new Error(`--kernels: ${k} is not one of this CPU's kernels (${available.join(', ')})`);
const picked = option('--shapes', '').split(',').filter(Boolean).map(Number);
for (const i of picked) if (!SHAPES[i]) throw new Error(`--shapes: no shape ${i} (0-${SHAPES.length - 1})`);
console.log(`native ${JSON.stringify(addon.shape())}; bf16 kernels ${kernels.join(', ')}; best of ${reps}, CPU time`);

function cpuMs(fn: () => void): number {
  const t0 = process.cpuUsage();
  fn();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000;
}

for (const i of picked.length ? picked : SHAPES.keys()) {
  const [M, K, N, tA = 0, tB = 0] = SHAPES[i];
  const buffer = new ArrayBuffer(4 * (M * K + K * N + M * N));
  const f = new Float32Array(buffer);
  for (let j = 0; j < f.length; j++) f[j] = Math.sin(j) * 0.5;
  const b = 4 * M * K, c = 4 * (M * K + K * N);
  const inner = Math.max(1, Math.round(4e8 / (2 * M * N * K))); // small products: several per timing
  const runs: [string, () => void][] = [
    ['fp32', () => addon.gemm(buffer, 0, b, c, M, N, K, tA === 1, tB === 1, 1, 0, 0, 0)],
    ...kernels.map((k): [string, () => void] => [k, () => addon.gemmBf16(buffer, 0, b, c, M, N, K, tA === 1, tB === 1, 1, 0, 0, 0, true, k)]),
  ];
  const best = new Map(runs.map(([name]) => [name, Infinity]));
  for (let r = 0; r < reps; r++)
    for (const [name, run] of runs) best.set(name, Math.min(best.get(name)!, cpuMs(() => { for (let j = 0; j < inner; j++) run(); }) / inner));
  const gflops = (ms: number): string => (2 * M * N * K / ms / 1e6).toFixed(0);
  const label = `${i}: [${M}x${K}]${tA ? '^T' : ''} x [${K}x${N}]${tB ? '^T' : ''}`;
  console.log(`${label.padEnd(34)} ${runs.map(([name]) => `${name} ${gflops(best.get(name)!)}`).join('  ')} GFLOP/s`);
}
