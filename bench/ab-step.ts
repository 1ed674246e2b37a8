// A/B of one training forwardBackward with a kernel switch flipped between alternating steps in one process, so
// both sides see the same machine load. CPU time of the process (process.cpuUsage), best of --reps after one
// warm-up step of each side.
//   --switch fused   the native fused element-wise and transpose kernels on vs off (setFusedElementwise)
//   --switch gemm    the native GEMM vs the WebAssembly GEMM (installWasmGemm('native' | 'trm'); 'trm' also turns
//                    the fused kernels off, since they come with the native engine)
//   --switch gather    the in-heap GatherV2 vs tfjs-wasm's (setWasmGather)
//   --switch identity  the buffer-sharing Identity (clones, saved tensors of custom gradients) vs tfjs-wasm's copy
//   --switch slice     the in-heap Slice and SplitV vs tfjs-wasm's (setWasmSlice)
//   --switch copies    the three above at once
//   --switch addend    weight gradients added to their running sums by the native GEMM with an addend vs
//                      tf.matMul then tf.add (setGemmAddend; the same bits)
//   --switch epilogue  the SwiGLU gating in the gate/up GEMM's epilogue vs two GEMMs and a gating pass
//                      (setSwigluEpilogue; the same bits)
// Usage: node --import tsx bench/ab-step.ts [b a d ...] [--switch fused|gemm|addend|epilogue|...] [--reps N] [--batch B] [--precision fp32|bf16]
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@trm/augment';
import { installWasmGemm, setGemmAddend, type Precision, setWasmGather, setWasmIdentity, setWasmSlice } from '@trm/tensor-core';
import { initBackend, setFusedElementwise, setSwigluEpilogue } from '@trm/tensor-node';
import { createModel, disposeCarry, type ArchConfig, type Batch } from '@trm/trm';
import { peerConfig } from './peer.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const keys = args.filter((a) => /^[a-e]$/.test(a));
const reps = Number(option('--reps', '3'));
const batchArg = Number(option('--batch', '0'));
const which = option('--switch', 'fused');
/** Each switch: side A (the new code, on) or B (the old, off), and the two sides' names. */
const SWITCHES: Record<string, { select(on: boolean): void; names: [string, string] }> = {
  fused: { select: setFusedElementwise, names: ['fused', 'plain'] },
  gemm: { select: (on) => installWasmGemm(on ? 'native' : 'trm'), names: ['native', 'wasm'] },
  gather: { select: setWasmGather, names: ['in-heap', 'tfjs'] },
  identity: { select: setWasmIdentity, names: ['shared', 'copy'] },
  slice: { select: setWasmSlice, names: ['in-heap', 'tfjs'] },
  copies: { select: (on) => (setWasmGather(on), setWasmIdentity(on), setWasmSlice(on)), names: ['ours', 'tfjs'] },
  addend: { select: setGemmAddend, names: ['addend', 'add'] },
  epilogue: { select: setSwigluEpilogue, names: ['epilogue', 'gating pass'] },
};
if (!SWITCHES[which]) throw new Error(`--switch: expected one of ${Object.keys(SWITCHES).join(', ')}, got ${which}`);
if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps: expected an integer >= 1, got ${option('--reps', '')}`);

const info = await initBackend('wasm', { precision: option('--precision', 'fp32') as Precision });
if (info.gemm !== 'native') throw new Error(`ab-step needs the native GEMM (got ${info.gemm}); build it with npm run build:native`);
console.log(`backend ${info.name} ${info.version}, gemm ${info.gemm} (${info.gemmBuild}), ${info.precision}; switch: ${which}`);

/** Side A (the new code) or B (the old): flip the chosen switch. */
const select = (a: boolean): void => SWITCHES[which].select(a);

function randomBatch(arch: ArchConfig, B: number): Batch {
  const rng = createRng(2);
  const tokens = () => Int32Array.from({ length: B * arch.seq_len }, () => 1 + rng.int(arch.vocab_size - 1));
  return { inputs: tokens(), labels: tokens(), puzzleIdentifiers: new Int32Array(B) };
}

for (const key of keys.length ? keys : ['b', 'a', 'd']) {
  const { arch, batch: peerBatch } = peerConfig(key);
  const B = batchArg || peerBatch;
  const model = createModel(arch, 0);
  const rng = createRng(1);
  const batch = randomBatch(arch, B);
  let carry = model.initialCarry(B);
  const stepMs = (a: boolean): number => {
    select(a);
    const c0 = process.cpuUsage();
    const out = model.forwardBackward(carry, batch, { rng, lossScale: 1 / B });
    tf.dispose([...out.grads.values(), ...(out.puzzleEmbGrad ? [out.puzzleEmbGrad.grad] : [])]);
    const c = process.cpuUsage(c0);
    disposeCarry(carry);
    carry = out.carry;
    return (c.user + c.system) / 1000;
  };
  stepMs(true);
  stepMs(false);
  const on: number[] = [];
  const off: number[] = [];
  for (let i = 0; i < reps; i++) {
    on.push(stepMs(true));
    off.push(stepMs(false));
  }
  const best = (x: number[]) => Math.min(...x);
  const [nameA, nameB] = SWITCHES[which].names;
  console.log(`${key} batch ${B}: ${nameA} ${best(on).toFixed(0)} ms, ${nameB} ${best(off).toFixed(0)} ms (CPU, best of ${reps}); ` +
    `speed-up ${(best(off) / best(on)).toFixed(2)}x; ${nameA} [${on.map((x) => x.toFixed(0))}] ${nameB} [${off.map((x) => x.toFixed(0))}]`);
  disposeCarry(carry);
  model.dispose();
}
select(true);
