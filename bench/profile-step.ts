// Profile one training step (forwardBackward) of the TRM model per tfjs kernel, for the peer configs of
// /work/shared/bench/peer.json.
// Usage: node --import tsx bench/profile-step.ts [b|d|...] [--steps N] [--batch B] [--no-warmup] [--no-profile] [--matmul]
//   [--detail Kernel,Kernel...]   also list every call of these kernels (ms, input -> output shapes)
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@trm/augment';
import { initBackend } from '@trm/tensor-node';
import { createModel, disposeCarry } from '@trm/trm';
import type { ArchConfig, Batch } from '@trm/trm';
import { peerConfig } from './peer.ts';

const args = process.argv.slice(2);
const which = args.filter((a) => /^[a-z]$/.test(a));
const steps = Number(args[args.indexOf('--steps') + 1] ?? 3) || 3;
const profile = !args.includes('--no-profile');
const batchArg = args.indexOf('--batch') >= 0 ? Number(args[args.indexOf('--batch') + 1]) : 0;
const detail = new Set(args.indexOf('--detail') >= 0 ? args[args.indexOf('--detail') + 1].split(',') : []);


function randomBatch(arch: ArchConfig, B: number, seed: number): Batch {
  const rng = createRng(seed);
  const S = arch.seq_len;
  return {
    inputs: Int32Array.from({ length: B * S }, () => 1 + rng.int(arch.vocab_size - 1)),
    labels: Int32Array.from({ length: B * S }, () => 1 + rng.int(arch.vocab_size - 1)),
    puzzleIdentifiers: new Int32Array(B),
  };
}

const info = await initBackend();
console.log(`backend ${info.name} ${info.version}`);
if (args.includes('--matmul')) {
  // reference point: a large plain matmul on this backend
  for (const n of [512, 1024, 2048]) {
    const a = tf.randomNormal([n, n]) as tf.Tensor2D;
    const b = tf.randomNormal([n, n]) as tf.Tensor2D;
    tf.matMul(a, b).dispose();
    const t0 = performance.now();
    for (let i = 0; i < 3; i++) tf.matMul(a, b).dataSync();
    const ms = (performance.now() - t0) / 3;
    console.log(`matmul ${n}^3: ${ms.toFixed(1)} ms, ${((2 * n ** 3) / (ms / 1000) / 1e9).toFixed(1)} GFLOP/s`);
    tf.dispose([a, b]);
  }
}
for (const key of which.length ? which : args.includes('--matmul') ? [] : ['b', 'd']) {
  const { arch, batch: peerBatch, name, ref1, ref2 } = peerConfig(key);
  const B = batchArg || peerBatch;
  const model = createModel(arch, 0);
  const rng = createRng(1);
  const batch = randomBatch(arch, B, 2);
  let carry = model.initialCarry(B);
  const step = () => {
    const out = model.forwardBackward(carry, batch, { rng, lossScale: 1 / B });
    tf.dispose([...out.grads.values(), ...(out.puzzleEmbGrad ? [out.puzzleEmbGrad.grad] : [])]);
    disposeCarry(carry);
    carry = out.carry;
  };
  if (!args.includes('--no-warmup')) step(); // warm-up
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  const ms = (performance.now() - t0) / steps;
  console.log(`${key} ${name} batch ${B}: ${ms.toFixed(0)} ms/step (peer ${ref1?.ms_step.toFixed(0) ?? '?'} ms 1 thread, ${ref2.ms_step.toFixed(0)} ms 2 threads); ` +
    `${((ref2.gflop_step * B) / peerBatch / (ms / 1000)).toFixed(1)} GFLOP/s matmul-equivalent`);
  if (profile) {
    const p = await tf.profile(() => step());
    const byKernel = new Map<string, { ms: number; n: number }>();
    for (const k of p.kernels) {
      if (k.name === 'forward' || k.name === 'unnamed scope') continue; // customGrad wrappers: their kernels are listed
      const e = byKernel.get(k.name) ?? { ms: 0, n: 0 };
      e.ms += Number(k.kernelTimeMs);
      e.n++;
      byKernel.set(k.name, e);
    }
    const total = [...byKernel.values()].reduce((a, e) => a + e.ms, 0);
    console.log(`  per kernel (one profiled step, kernel total ${total.toFixed(0)} ms):`);
    for (const [name, e] of [...byKernel].sort((a, b) => b[1].ms - a[1].ms).slice(0, 18)) {
      console.log(`    ${name.padEnd(18)} ${e.ms.toFixed(1).padStart(8)} ms  ${(100 * e.ms / total).toFixed(1).padStart(5)}%  x${e.n}`);
    }
    for (const k of p.kernels.filter((k) => detail.has(k.name))) {
      const shapes = (s: number[][]) => s.map((x) => `[${x}]`).join(' ');
      console.log(`    ${k.name} ${Number(k.kernelTimeMs).toFixed(2)} ms  ${shapes(k.inputShapes)} -> ${shapes(k.outputShapes)}`);
    }
  }
  disposeCarry(carry);
  model.dispose();
}
