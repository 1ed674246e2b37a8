// Parity with the reference in its default precision: every ../shared/fixtures/parity-bf16/*.json (the reference run
// with forward_dtype bfloat16) replayed with precision bf16 on wasm with the native GEMM, teacher-forced and
// free-running, the step-1 gradients included. Errors are measured in bfloat16 ulps (bf16-ulps.ts).
//
// Tolerances, measured (wasm, native addon, AVX512_BF16 and the fp32-fma fallback give the same bits), each set to
// about 2x the worst measured in bf16 and below what float32 arithmetic gives on the same fixtures (the test fails
// if the bfloat16 roundings are missing, not only if something is badly broken):
// - mlp_t, forward (logits, z, q): 0 ulps (the same bits as the reference at every step) -> max 8, p99 2;
//   float32 arithmetic: max 368-9133, p99 148-2954.
// - attention, forward (logits, z): max 168, p99 29 -> max 320, p99 48 (the attention's own summation orders; a
//   few values near cancellation); float32 arithmetic: max 402-9243, p99 74-1436.
// - q (halting logits): max 6 (attention), 0 (mlp_t) -> 12; float32: 45-4387.
// - loss and metrics: max 0.1 and 0.5 ulps -> 1 (loss: 0.5); float32: loss 0.4-35.6, metrics 2.2-1e40.
// - step-1 gradients (bfloat16 backward sums in another order): max 224, p99 29 -> max 450, p99 60; float32
//   arithmetic: max 790-1538, p99 157-310.
// - predictions and halting: flips allowed only where the reference's own margin (its top logit minus the one we
//   pick, |q_halt|) is within 16 ulps, i.e. within the noise above; each flip is printed. Measured: 2 prediction
//   flips (attn_rope_bf16_train free-running, steps 3 and 5), no halting flip.
// - with the fused element-wise kernels off (`plain`: the ops' tfjs paths with bf16Round), measured: mlp_t 0 ulps
//   forward, attention logits max 125 p99 27, z max 168 p99 23, grads max 224 p99 23, the same 2 flips; the same
//   tfjs paths without their bfloat16 roundings fail every fixture (mlp_t free-running logits max 6378-7826 ulps).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, setFusedElementwise } from '@trm/tensor-node';
import { Bf16UlpLog, type UlpStats } from './bf16-ulps.ts';
import { fixtureFiles, loadFixture } from './fixtures.ts';
import { replay } from './replay.ts';

const DIR = new URL('../../../../shared/fixtures/parity-bf16/', import.meta.url).pathname;
const files = fixtureFiles(DIR);

interface Limit {
  max: number;
  p99?: number;
}

/** The tolerance of a kind (`logits/forced`, `grads`, ...) for an mlp_t or attention fixture. */
function limit(kind: string, mlpT: boolean): Limit {
  const family = kind.split('/')[0];
  if (family === 'logits' || family === 'z') return mlpT ? { max: 8, p99: 2 } : { max: 320, p99: 48 };
  if (family === 'q') return { max: 12 };
  if (family === 'loss') return { max: 0.5 };
  if (family === 'metrics') return { max: 1 };
  if (family === 'grads') return { max: 450, p99: 60 };
  return { max: 0 };
}

const MAX_FLIP_MARGIN = 16;

let reason: string | null = null;

// `fused`: the native fused element-wise kernels with their bf16 flag (the default). `plain`: those kernels off
// (setFusedElementwise(false)): the ops' tfjs paths, which make the same bfloat16 roundings with bf16Round; the
// same tolerances hold.
describe.each(['fused', 'plain'] as const)('parity with the reference TRM in bfloat16, %s element-wise kernels', (kernels) => {
  beforeAll(async () => {
    try {
      const info = await initBackend('wasm', { precision: 'bf16' });
      console.log(`bf16 parity (${kernels}): ${info.name} ${info.version}, bfloat16 GEMM kernel ${info.bf16Kernel}`);
    } catch (e) {
      reason = (e as Error).message;
      console.log(`bf16 parity skipped: ${reason}`);
    }
  });
  afterAll(() => setFusedElementwise(true));

  it('finds fixtures', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s', (file, ctx) => {
    if (reason) return ctx.skip();
    setFusedElementwise(kernels === 'fused');
    const fx = loadFixture(file, DIR);
    const mlpT = Boolean(fx.config.mlp_t);
    const log = new Bf16UlpLog();
    const before = tf.memory().numTensors;
    replay(fx, log, true);
    replay(fx, log, false);
    const leaked = tf.memory().numTensors - before;
    const fmt = (s: UlpStats) => `max ${s.max.toFixed(1)} p99 ${s.p99.toFixed(1)} p50 ${s.p50.toFixed(2)}`;
    const lines = log.kinds().map((k) => `${k}: ${fmt(log.stats(k)!)}`);
    console.log(`${fx.name} [bf16, ${kernels}, ulps]: ${lines.join(' | ')} | ${log.flips.length} prediction/halting flips${log.flips.map((f) => ` (${f.where}[${f.index}], reference margin ${f.marginUlps.toFixed(1)} ulps)`).join('')}`);
    const over: string[] = [];
    for (const kind of log.kinds()) {
      const s = log.stats(kind)!;
      const l = limit(kind, mlpT);
      if (!(s.max <= l.max) || (l.p99 !== undefined && !(s.p99 <= l.p99))) over.push(`${kind}: ${fmt(s)} (limit max ${l.max}${l.p99 !== undefined ? ` p99 ${l.p99}` : ''})`);
    }
    expect(log.failures).toEqual([]);
    expect(over).toEqual([]);
    expect(log.flips.filter((f) => !(f.marginUlps <= MAX_FLIP_MARGIN))).toEqual([]);
    expect(log.mismatches.slice(0, 10)).toEqual([]);
    expect(leaked).toBe(0);
  });
});
