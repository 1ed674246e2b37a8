import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@trm/augment';
import { IGNORE_LABEL } from '@trm/tensor-core';
import { initBackend } from '@trm/tensor-node';
import { createModel, disposeCarry } from './model.ts';
import type { ArchConfig, Batch } from './types.ts';

const base: ArchConfig = {
  seq_len: 6, vocab_size: 5, num_puzzle_identifiers: 3, hidden_size: 16, num_heads: 2, expansion: 2,
  L_layers: 1, H_cycles: 2, L_cycles: 2, mlp_t: false, pos_encodings: 'learned', puzzle_emb_ndim: 16,
  puzzle_emb_len: 0, halt_max_steps: 3, halt_exploration_prob: 0, rope_theta: 10000, rms_norm_eps: 1e-5, no_ACT_continue: true,
};

function batch(B: number, S: number, seed: number): Batch {
  const rng = createRng(seed);
  return {
    inputs: Int32Array.from({ length: B * S }, () => 1 + rng.int(4)),
    labels: Int32Array.from({ length: B * S }, () => (rng.next() < 0.3 ? IGNORE_LABEL : rng.int(5))),
    puzzleIdentifiers: Int32Array.from({ length: B }, () => rng.int(3)),
  };
}

beforeAll(async () => {
  await initBackend();
});

describe('createModel', () => {
  it('counts parameters like the reference (peer config b: 694274)', () => {
    const m = createModel({ ...base, seq_len: 81, vocab_size: 11, hidden_size: 128, expansion: 4, L_layers: 2, mlp_t: true, pos_encodings: 'none', puzzle_emb_ndim: 128, puzzle_emb_len: 16, num_puzzle_identifiers: 1 }, 0);
    expect(m.parameterCount()).toEqual({ model: 694274, puzzleEmb: 128 });
    m.dispose();
  });

  it('is deterministic in the seed and round-trips its state dict (with the torch.compile prefix)', () => {
    const a = createModel(base, 7);
    const b = createModel(base, 7);
    const c = createModel(base, 8);
    const sa = a.stateDict();
    expect(Object.keys(sa)).toContain('model.inner.embed_pos.embedding_weight');
    expect(Object.keys(sa)).toContain('model.inner.H_init');
    expect(b.stateDict()).toEqual(sa);
    expect(c.stateDict()['model.inner.lm_head.weight']).not.toEqual(sa['model.inner.lm_head.weight']);
    c.loadStateDict(Object.fromEntries(Object.entries(sa).map(([k, v]) => [`_orig_mod.${k}`, v])));
    expect(c.stateDict()).toEqual(sa);
    [a, b, c].forEach((m) => m.dispose());
  });

  it('rejects state dicts with a wrong shape, a missing or an unknown tensor', () => {
    const m = createModel(base, 0);
    const sd = m.stateDict();
    const bad = { ...sd, 'model.inner.H_init': { dtype: 'float32' as const, shape: [3], data: new Float32Array(3) } };
    expect(() => m.loadStateDict(bad)).toThrow(/H_init" has shape \[3\], expected \[16\]/);
    const missing = { ...sd };
    delete missing['model.inner.lm_head.weight'];
    expect(() => m.loadStateDict(missing)).toThrow(/missing tensor "model.inner.lm_head.weight"/);
    expect(() => m.loadStateDict({ ...sd, extra: sd['model.inner.H_init'] })).toThrow(/unexpected tensor "extra"/);
    m.dispose();
  });

  it('rejects a bad arch with the field name', () => {
    expect(() => createModel({ ...base, num_heads: 3 }, 0)).toThrow(/arch.num_heads/);
    expect(() => createModel({ ...base, no_ACT_continue: false }, 0)).toThrow(/no_ACT_continue/);
  });
});

describe('ACT steps', () => {
  it('runs halt_max_steps in eval mode, then takes new data; no tensors leak', () => {
    const m = createModel(base, 1);
    const rng = createRng(0);
    const before = tf.memory().numTensors;
    let carry = m.initialCarry(3);
    const b1 = batch(3, 6, 1);
    const b2 = batch(3, 6, 2);
    const halts: boolean[] = [];
    for (let k = 0; k < 4; k++) {
      const out = m.forward(carry, k === 0 ? b1 : b2, { training: false, rng });
      disposeCarry(carry);
      carry = out.carry;
      halts.push(out.allHalted);
      expect(out.metrics.count).toBe(out.allHalted ? 3 - countEmptyRows(b1) : 0);
      expect(Array.from(carry.data.inputs)).toEqual(Array.from(k < 3 ? b1.inputs : b2.inputs));
    }
    expect(halts).toEqual([false, false, true, false]);
    disposeCarry(carry);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });

  it('learned positions get gradients, and forwardBackward equals forward in value', () => {
    const m = createModel(base, 2);
    const rng = createRng(0);
    const c0 = m.initialCarry(2);
    const b = batch(2, 6, 3);
    const fwd = m.forward(c0, b, { training: true, rng, logits: true });
    const tr = m.forwardBackward(c0, b, { rng, lossScale: 0.5, logits: true });
    expect(tr.lossTotal).toBeCloseTo(fwd.lossTotal, 5);
    expect(Array.from(tr.logits!)).toEqual(Array.from(fwd.logits!));
    const plain = m.forward(c0, b, { training: true, rng });
    expect(plain.logits).toBeUndefined(); // logits only when asked for
    disposeCarry(plain.carry);
    const g = tr.grads.get('model.inner.embed_pos.embedding_weight')!;
    expect(g.shape).toEqual([6 + 1, 16]);
    expect(tf.norm(g).dataSync()[0]).toBeGreaterThan(0);
    expect(tr.puzzleEmbGrad!.grad.shape).toEqual([2, 16]);
    expect(Array.from(tr.puzzleEmbGrad!.ids)).toEqual(Array.from(b.puzzleIdentifiers));
    tf.dispose([...tr.grads.values(), tr.puzzleEmbGrad!.grad]);
    [c0, fwd.carry, tr.carry].forEach(disposeCarry);
    m.dispose();
  });
});

function countEmptyRows(b: Batch): number {
  let n = 0;
  for (let r = 0; r < b.puzzleIdentifiers.length; r++) if (b.labels.subarray(r * 6, r * 6 + 6).every((v) => v === IGNORE_LABEL)) n++;
  return n;
}
