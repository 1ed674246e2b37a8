// Kernel paths that claim the bits of the plain ones, checked where it matters: a few training steps of the toy
// model (attention and token-MLP blocks) with the fast path on and off end with bit-identical trainer state (weights,
// optimizer moments, EMA, carry) and the same metrics, in float32 and in bfloat16.
// - addend: the weight gradients accumulated over the block calls by the GEMM with an addend (setGemmAddend);
// - epilogue: the SwiGLU projections with the gating in the GEMM's epilogue (setSwigluEpilogue).
import { setGemmAddend, type TensorDict } from '@trm/tensor-core';
import { initBackend, nativeAddon, setSwigluEpilogue } from '@trm/tensor-node';
import { afterAll, describe, expect, it } from 'vitest';
import { createTrainer, type TrainStepMetrics } from './trainer.ts';
import { toyArch, toyCopySplit, toyTrainConfig } from './toy.ts';

const skip = nativeAddon() ? null : 'the native addon does not load here';
if (skip) console.log(`kernel switch tests skipped: ${skip}`);

const data = toyCopySplit({ groups: 6, perGroup: 2, seqLen: 6, vocab: 6, numIds: 3, seed: 1 });

/** The trainer state and metrics after `steps` steps of the toy model. */
function train(mlpT: boolean, steps: number): { tensors: TensorDict; metrics: TrainStepMetrics[] } {
  const arch = toyArch(mlpT ? { mlp_t: true, pos_encodings: 'none' } : {});
  const t = createTrainer({ arch, train: toyTrainConfig({ epochs: 100 }), data, seed: 5 });
  try {
    const metrics: TrainStepMetrics[] = [];
    for (let i = 0; i < steps; i++) metrics.push(t.step());
    return { tensors: t.state().tensors, metrics };
  } finally {
    t.dispose();
  }
}

const SWITCHES: Record<string, (on: boolean) => void> = { addend: setGemmAddend, epilogue: setSwigluEpilogue };

describe.skipIf(skip !== null)('kernel switches that claim the same bits', () => {
  afterAll(async () => {
    for (const select of Object.values(SWITCHES)) select(true);
    await initBackend('wasm');
  });

  for (const [name, select] of Object.entries(SWITCHES)) {
    for (const precision of ['fp32', 'bf16'] as const) {
      for (const mlpT of [false, true]) {
        it(`${name}, ${precision}, ${mlpT ? 'token MLP' : 'attention'}: 4 training steps end bit-identical on and off`, async () => {
          const info = await initBackend('wasm', { precision });
          expect(info.gemm).toBe('native');
          select(true);
          const on = train(mlpT, 4);
          select(false);
          const off = train(mlpT, 4);
          select(true);
          expect(on.metrics).toEqual(off.metrics);
          expect(Object.keys(on.tensors).sort()).toEqual(Object.keys(off.tensors).sort());
          for (const [k, t] of Object.entries(on.tensors)) {
            expect(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(Buffer.from(off.tensors[k].data.buffer, off.tensors[k].data.byteOffset, off.tensors[k].data.byteLength)), k).toBe(true);
          }
          // the steps moved the weights: a comparison of two untouched states would prove nothing
          const init = createTrainer({ arch: toyArch(mlpT ? { mlp_t: true, pos_encodings: 'none' } : {}), train: toyTrainConfig({ epochs: 100 }), data, seed: 5 });
          const w0 = init.state().tensors['model.inner.lm_head.weight'].data as Float32Array;
          init.dispose();
          expect(Array.from(on.tensors['model.inner.lm_head.weight'].data as Float32Array)).not.toEqual(Array.from(w0));
        });
      }
    }
  }
});
