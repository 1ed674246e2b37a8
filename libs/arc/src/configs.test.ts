import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkSplits } from './index.ts';

// The ARC configs in configs/ (owned with this lib): the paper runs follow spec section 8 and the reference's
// dataset commands, and pass the split check.

const CONFIGS = decodeURIComponent(new URL('../../../configs/', import.meta.url).pathname);
type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const merge = (a: Json, b: Json): Json => Object.fromEntries([...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [k, isObj(a[k]) && isObj(b[k]) ? merge(a[k] as Json, b[k] as Json) : (b[k] ?? a[k])]));
function load(name: string): Json {
  const raw = JSON.parse(fs.readFileSync(`${CONFIGS}${name}.json`, 'utf8')) as Json;
  return typeof raw.extends === 'string' ? merge(load(raw.extends), raw) : raw;
}

describe('arc configs', () => {
  it.each([
    ['arc1-paper', ['training', 'evaluation', 'concept'], 'evaluation'],
    ['arc2-paper', ['training2', 'evaluation2', 'concept'], 'evaluation2'],
  ])('%s follows the paper recipe', (name, subsets, testSet) => {
    const c = load(name);
    expect(c.dataset).toBe('arc');
    const fetch = c.fetch as Json;
    expect([fetch.subsets, fetch.test_set_name]).toEqual([subsets, testSet]);
    expect(() => checkSplits(fetch)).not.toThrow();
    expect((c.augment as Json).num_aug).toBe(1000);
    expect(c.arch).toMatchObject({ mlp_t: false, pos_encodings: 'rope', H_cycles: 3, L_cycles: 4, L_layers: 2, hidden_size: 512 });
    expect(c.train).toMatchObject({ epochs: 100000, global_batch_size: 768, lr: 1e-4, weight_decay: 0.1, puzzle_emb_lr: 1e-2, ema: true });
  });

  it('arc-tiny and arc-home pass the split check; arc-tiny reads a small per-task sample', () => {
    for (const name of ['arc-tiny', 'arc-home']) expect(() => checkSplits(load(name).fetch as Json)).not.toThrow();
    const tiny = load('arc-tiny');
    expect((tiny.fetch as Json).layout).toBe('per-task');
    expect((tiny.augment as Json).num_aug).toBeLessThanOrEqual(4);
  });
});
