import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { totalTrainSteps } from '@trm/trm';
import { loadConfig } from '../config/load.ts';
import { configsDir, workspaceRoot } from '../workspace.ts';
import { flopsPerStep, formatFlops } from './flops.ts';
import { archConfig, gpuWarning, trainConfig } from './train.ts';
import type { DatasetMetadata } from './encode.ts';

const root = workspaceRoot();
const meta = (seq: number, vocab: number, groups: number): DatasetMetadata => ({
  vocab_size: vocab, seq_len: seq, pad_id: 0, ignore_label_id: 0, blank_identifier_id: 0, num_puzzle_identifiers: 1,
  total_groups: groups, mean_puzzle_examples: 1, total_puzzles: groups, sets: ['all'], token_names: [],
});

async function estimate(name: string, m: DatasetMetadata) {
  const { config } = await loadConfig(name, { dir: configsDir(root), root });
  const arch = archConfig(config, m);
  const train = trainConfig(config);
  const steps = totalTrainSteps(train, m.total_groups, m.mean_puzzle_examples);
  return { config, perStep: flopsPerStep(arch, train.global_batch_size), steps };
}

describe('cost estimate before training', () => {
  it('scales with batch, cycles and layers', async () => {
    const { config } = await loadConfig('sudoku-tiny', { dir: configsDir(root), root });
    const arch = archConfig(config, meta(16, 6, 24));
    const base = flopsPerStep(arch, 8);
    expect(flopsPerStep(arch, 16)).toBeCloseTo(2 * base, -1);
    expect(flopsPerStep({ ...arch, L_layers: 2 }, 8)).toBeGreaterThan(1.9 * base);
    expect(flopsPerStep({ ...arch, H_cycles: 3 }, 8)).toBeGreaterThan(base);
    expect(formatFlops(2.5e12)).toBe('2.50 TFLOP');
  });

  it('warns for the paper recipe on a CPU backend and names a smaller config, not for tiny runs', async () => {
    const paper = await estimate('sudoku-extreme-paper', meta(81, 11, 1000));
    const total = paper.perStep * paper.steps;
    expect(total).toBeGreaterThan(1e18);
    const w = gpuWarning(paper.config, root, 'wasm', total);
    expect(w).toContain('sudoku-extreme-paper needs ~');
    expect(w).toContain('try --config sudoku-quick');
    expect(w).toContain('--set runtime.engine=reference');
    expect(gpuWarning(paper.config, root, 'tensorflow', total)).toBeNull();
    const tiny = await estimate('sudoku-tiny', meta(16, 6, 24));
    expect(gpuWarning(tiny.config, root, 'cpu', tiny.perStep * tiny.steps)).toBeNull();
  });
});
