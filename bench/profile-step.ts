// Profile one training step (forwardBackward) of the TRM model per tfjs kernel, for the peer configs of
// /work/shared/bench/peer.json.
// Usage: node --import tsx bench/profile-step.ts [b|d|...] [--steps N] [--batch B] [--no-warmup] [--no-profile] [--matmul]
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { createRng } from '@trm/augment';
import { initBackend } from '@trm/tensor-core';
import { createModel, disposeCarry } from '@trm/trm';
import type { ArchConfig, Batch } from '@trm/trm';

interface PeerRow { config: string; name: string; threads: number; cfg: Record<string, number | string | boolean>; ms_step: number; gflop_step: number }

const args = process.argv.slice(2);
const which = args.filter((a) => /^[a-z]$/.test(a));
const steps = Number(args[args.indexOf('--steps') + 1] ?? 3) || 3;
const profile = !args.includes('--no-profile');
const batchArg = args.indexOf('--batch') >= 0 ? Number(args[args.indexOf('--batch') + 1]) : 0;
const peer = JSON.parse(readFileSync(new URL('../../shared/bench/peer.json', import.meta.url), 'utf8')) as { rows: PeerRow[] };

function archOf(cfg: PeerRow['cfg']): ArchConfig {
  return {
    seq_len: cfg.seq_len as number, vocab_size: cfg.vocab_size as number, num_puzzle_identifiers: cfg.num_puzzle_identifiers as number,
    hidden_size: cfg.hidden_size as number, num_heads: cfg.num_heads as number, expansion: cfg.expansion as number,
    L_layers: cfg.L_layers as number, H_cycles: cfg.H_cycles as number, L_cycles: cfg.L_cycles as number, mlp_t: cfg.mlp_t as boolean,
    pos_encodings: cfg.pos_encodings as ArchConfig['pos_encodings'], puzzle_emb_ndim: cfg.puzzle_emb_ndim as number,
    puzzle_emb_len: cfg.puzzle_emb_len as number, halt_max_steps: cfg.halt_max_steps as number,
    halt_exploration_prob: cfg.halt_exploration_prob as number, rope_theta: 10000, rms_norm_eps: 1e-5, no_ACT_continue: true,
  };
}

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
  const row = peer.rows.find((r) => r.config === key && r.threads === 1)!;
  const row2 = peer.rows.find((r) => r.config === key && r.threads === 2)!;
  const arch = archOf(row.cfg);
  const B = batchArg || (row.cfg.batch_size as number);
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
  console.log(`${key} ${row.name} batch ${B}: ${ms.toFixed(0)} ms/step (peer ${row.ms_step.toFixed(0)} ms 1 thread, ${row2.ms_step.toFixed(0)} ms 2 threads); ` +
    `${((row.gflop_step * B) / (row.cfg.batch_size as number) / (ms / 1000)).toFixed(1)} GFLOP/s matmul-equivalent`);
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
  }
  disposeCarry(carry);
  model.dispose();
}
