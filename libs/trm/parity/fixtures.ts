// Loading the reference parity fixtures (../shared/fixtures/parity beside the repo root).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HostTensor, TensorDict } from '@trm/tensor-core';
import type { ArchConfig, Batch } from '@trm/trm';

export interface JsonTensor {
  shape: number[];
  dtype: 'float32' | 'float64' | 'int32' | 'int64' | 'bool';
  data: (number | string | boolean)[];
}

export interface FixtureStep {
  step: number;
  batch_passed: number;
  carry_in: { halted: JsonTensor; steps: JsonTensor };
  logits: JsonTensor;
  q_halt_logits: JsonTensor;
  q_continue_logits: JsonTensor;
  preds: JsonTensor;
  z_H: JsonTensor;
  z_L: JsonTensor;
  steps: JsonTensor;
  halted: JsonTensor;
  current_data: Record<'inputs' | 'labels' | 'puzzle_identifiers', JsonTensor>;
  loss_total: number;
  metrics: Record<string, number>;
  all_halted: boolean;
  puzzle_emb_local_weights_after_forward?: JsonTensor;
}

export interface Fixture {
  file: string;
  name: string;
  mode: 'train' | 'eval';
  config: Record<string, number | string | boolean>;
  params: Record<string, JsonTensor>;
  batches: Record<'inputs' | 'labels' | 'puzzle_identifiers', JsonTensor>[];
  loss_scale_for_grads: number;
  grads_step1: Record<string, JsonTensor | null>;
  steps: FixtureStep[];
  /** RoPE tables [S', head_dim] when pos_encodings = rope */
  rope?: { cos: JsonTensor; sin: JsonTensor };
}

export const FIXTURE_DIR = fileURLToPath(new URL('../../../../shared/fixtures/parity/', import.meta.url));

/** Every fixture file except the optimizer one, sorted. */
export function fixtureFiles(dir = FIXTURE_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && f !== 'optimizers.json')
    .sort();
}

export function loadFixture(file: string, dir = FIXTURE_DIR): Fixture {
  const fx = JSON.parse(readFileSync(dir + file, 'utf8')) as Fixture;
  fx.file = file;
  for (const key of ['config', 'params', 'batches', 'steps', 'grads_step1'] as const) {
    if (!(key in fx)) throw new Error(`${file}: missing "${key}"`);
  }
  return fx;
}

export function toFloat64(t: JsonTensor): Float64Array {
  return Float64Array.from(t.data, (v) => Number(v));
}

export function toInt32(t: JsonTensor): Int32Array {
  return Int32Array.from(t.data, (v) => (typeof v === 'boolean' ? (v ? 1 : 0) : Number(v)));
}

export function toHost(t: JsonTensor): HostTensor {
  return { dtype: 'float32', shape: t.shape, data: Float32Array.from(t.data, (v) => Number(v)) };
}

/** The model's arch, read from the fixture's config (sizes are not hard-coded). */
export function archOf(fx: Fixture): ArchConfig {
  const c = fx.config;
  const num = (k: string): number => {
    if (typeof c[k] !== 'number') throw new Error(`${fx.file}: config.${k} missing or not a number`);
    return c[k] as number;
  };
  return {
    seq_len: num('seq_len'),
    vocab_size: num('vocab_size'),
    num_puzzle_identifiers: num('num_puzzle_identifiers'),
    hidden_size: num('hidden_size'),
    num_heads: num('num_heads'),
    expansion: num('expansion'),
    L_layers: num('L_layers'),
    H_cycles: num('H_cycles'),
    L_cycles: num('L_cycles'),
    mlp_t: Boolean(c.mlp_t),
    pos_encodings: c.pos_encodings as ArchConfig['pos_encodings'],
    puzzle_emb_ndim: num('puzzle_emb_ndim'),
    puzzle_emb_len: num('puzzle_emb_len'),
    halt_max_steps: num('halt_max_steps'),
    halt_exploration_prob: num('halt_exploration_prob'),
    rope_theta: num('rope_theta'),
    rms_norm_eps: num('rms_norm_eps'),
    no_ACT_continue: c.no_ACT_continue !== false,
  };
}

export function paramsOf(fx: Fixture): TensorDict {
  return Object.fromEntries(Object.entries(fx.params).map(([k, v]) => [k, toHost(v)]));
}

export function batchOf(fx: Fixture, index: number): Batch {
  const b = fx.batches[index];
  return { inputs: toInt32(b.inputs), labels: toInt32(b.labels), puzzleIdentifiers: toInt32(b.puzzle_identifiers) };
}
