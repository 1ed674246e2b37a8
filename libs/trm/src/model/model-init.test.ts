import { beforeAll, describe, expect, it } from 'vitest';
import { createRng } from '@trm/augment';
import { initBackend } from '@trm/tensor-node';
import { createModel, disposeCarry } from './model.ts';
import type { ArchConfig } from './types.ts';

const arch: ArchConfig = {
  seq_len: 6, vocab_size: 5, num_puzzle_identifiers: 3, hidden_size: 16, num_heads: 2, expansion: 2,
  L_layers: 1, H_cycles: 2, L_cycles: 2, mlp_t: false, pos_encodings: 'learned', puzzle_emb_ndim: 16,
  puzzle_emb_len: 0, halt_max_steps: 3, halt_exploration_prob: 0, rope_theta: 10000, rms_norm_eps: 1e-5, no_ACT_continue: true,
};

beforeAll(async () => {
  await initBackend();
});

describe('createModel from given weights', () => {
  it('starts from the given values (not its seed) and computes what the source model computes', () => {
    const source = createModel(arch, 3);
    const dict = source.stateDict();
    const given = createModel(arch, 99, { weights: dict });
    const other = createModel(arch, 99);
    const got = given.stateDict();
    expect(Object.keys(got).sort()).toEqual(Object.keys(dict).sort());
    for (const k of Object.keys(dict)) expect(got[k].data).toEqual(dict[k].data);
    expect(other.stateDict()['model.inner.lm_head.weight'].data).not.toEqual(dict['model.inner.lm_head.weight'].data);

    const rng = createRng(5);
    const batch = {
      inputs: Int32Array.from({ length: 2 * arch.seq_len }, () => 1 + rng.int(4)),
      labels: Int32Array.from({ length: 2 * arch.seq_len }, () => rng.int(5)),
      puzzleIdentifiers: Int32Array.of(0, 2),
    };
    const run = (m: typeof source) => {
      const carry = m.initialCarry(2);
      const out = m.forwardBackward(carry, batch, { rng: createRng(1), lossScale: 1, logits: true });
      const grads = Object.fromEntries([...out.grads].map(([k, g]) => [k, Array.from(g.dataSync())]));
      const result = { loss: out.lossTotal, logits: Array.from(out.logits!), grads };
      disposeCarry(carry);
      disposeCarry(out.carry);
      for (const g of out.grads.values()) g.dispose();
      out.puzzleEmbGrad?.grad.dispose();
      return result;
    };
    expect(run(given)).toEqual(run(source));
    for (const m of [source, given, other]) m.dispose();
  });

  it('names the missing, unexpected or misshapen tensor', () => {
    const dict = createModel(arch, 0).stateDict();
    const { ['model.inner.H_init']: _h, ...noH } = dict;
    expect(() => createModel(arch, 0, { weights: noH })).toThrow('createModel: missing tensor "model.inner.H_init" (buffer)');
    expect(() => createModel(arch, 0, { weights: { ...dict, extra: dict['model.inner.H_init'] } })).toThrow('createModel: unexpected tensor "extra"');
    const bad = { ...dict, 'model.inner.lm_head.weight': { dtype: 'float32' as const, shape: [4, 16], data: new Float32Array(64) } };
    expect(() => createModel(arch, 0, { weights: bad })).toThrow('createModel: "model.inner.lm_head.weight" has shape [4,16], expected [5,16]');
  });
});
