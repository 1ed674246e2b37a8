// Training time of every shipped config on this kind of machine (2 cores, 2 worker threads), as a Markdown table
// for the README. It measures nothing itself: steps come from the config and its data (the formula of the trainer:
// epochs x train groups x mean examples per puzzle / global batch, capped by train.max_steps), FLOPs per step from
// the benchmark's cost model, and the speed from the GFLOP/s the `train` suite measured with 2 workers on the
// benchmark config most like it (bench/results/train.json). Where the config's model and batch are a benchmark
// config's, this is that config's measured s/step. The GPU column is arithmetic at an assumed sustained rate.
//   node --import tsx bench/eta.ts [--gpu-tflops 20] [--results bench/results/train.json]
import { readFileSync } from 'node:fs';
import type { RawPuzzle } from '@trm/dataset';
import { totalTrainSteps, type ArchConfig } from '@trm/trm';
import { listConfigs, loadConfig, type ResolvedConfig } from '../apps/pipeline/src/config/load.ts';
import { archConfig, trainConfig } from '../apps/pipeline/src/stages/train.ts';
import { configsDir, workspaceRoot } from '../apps/pipeline/src/workspace.ts';
import { localSourceIO } from './common.ts';
import { peerConfig } from './peer.ts';
import { trainStepFlops } from './suites/train.ts';

interface Measured { id: string; name: string; arch: ArchConfig; batch: number; gflops: number; sStep: number }

/** The 2-worker GFLOP/s of each benchmark config in a `train` suite result file. */
function measured(file: string): Measured[] {
  const results = (JSON.parse(readFileSync(file, 'utf8')) as { results: { name: string; value: number }[] }).results;
  const out: Measured[] = [];
  for (const id of ['a', 'b', 'c', 'd', 'e']) {
    const r = results.find((x) => x.name === `train/${id}/w2/gflops`);
    if (!r || !Number.isFinite(r.value)) continue;
    const p = peerConfig(id);
    out.push({ id, name: p.name, arch: p.arch, batch: p.batch, gflops: r.value, sStep: trainStepFlops(p.arch, p.batch) / 1e9 / r.value });
  }
  return out;
}

/** Train groups and mean examples per puzzle: from the config's sizes when the data is a download, else fetched. */
async function trainShape(config: ResolvedConfig, lib: { fetch: (cfg: Record<string, unknown>, io: ReturnType<typeof localSourceIO>) => Promise<RawPuzzle[]> }): Promise<{ groups: number; mean: number; note?: string }> {
  const f = config.fetch;
  if (f.source === 'huggingface') {
    if (config.dataset === 'sudoku' && typeof f.subsample_size === 'number') return { groups: f.subsample_size, mean: 1 };
    if (config.dataset === 'maze') return { groups: typeof f.train_limit === 'number' ? Math.min(1000, f.train_limit) : 1000, mean: 1 };
    return { groups: Number.NaN, mean: 1, note: 'download size unknown' };
  }
  const cfg = 'seed' in f ? f : { ...f, seed: config.seed };
  const puzzles = (await lib.fetch(cfg, localSourceIO('eta'))).filter((p) => p.split === 'train');
  return { groups: puzzles.length, mean: puzzles.reduce((a, p) => a + p.examples.length, 0) / Math.max(1, puzzles.length) };
}

const sameModel = (a: ArchConfig, b: ArchConfig) =>
  (['hidden_size', 'num_heads', 'expansion', 'H_cycles', 'L_cycles', 'L_layers', 'mlp_t', 'seq_len', 'puzzle_emb_len'] as const).every((k) => a[k] === b[k]);

/** The benchmark config most like `arch`: same mixer (mlp_t or attention), then the nearest sequence and width. */
function nearest(arch: ArchConfig, batch: number, bench: Measured[]): Measured {
  const exact = bench.find((m) => m.batch === batch && sameModel(m.arch, arch));
  if (exact) return exact;
  const score = (m: Measured) => (m.arch.mlp_t === arch.mlp_t ? 0 : 100) + Math.abs(Math.log(m.arch.seq_len / arch.seq_len)) + Math.abs(Math.log(m.arch.hidden_size / arch.hidden_size));
  return [...bench].sort((x, y) => score(x) - score(y))[0];
}

export function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 2 * 3600) return `${Math.round(s / 60)} min`;
  if (s < 3 * 86400) return `${(s / 3600).toFixed(s < 36000 ? 1 : 0)} h`;
  if (s < 2 * 365 * 86400) return `${Math.round(s / 86400)} days`;
  return `${(s / (365 * 86400)).toFixed(1)} years`;
}

async function main(): Promise<void> {
  const arg = (name: string, fallback: string) => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : fallback;
  };
  const gpuTflops = Number(arg('--gpu-tflops', '20'));
  const bench = measured(arg('--results', 'bench/results/train.json'));
  const root = workspaceRoot();
  const rows: string[] = [];
  for (const { name } of listConfigs(configsDir(root))) {
    if (name.endsWith('-base')) continue;
    const { config, dataset } = await loadConfig(name, { dir: configsDir(root), root });
    const shape = dataset.lib.shape(config.encode);
    const { groups, mean, note } = await trainShape(config, dataset.lib);
    const arch = archConfig(config, { seq_len: shape.seqLen, vocab_size: shape.vocabSize, num_puzzle_identifiers: 1 });
    const batch = config.train.global_batch_size as number;
    const full = totalTrainSteps(trainConfig(config), groups, mean);
    const maxSteps = config.train.max_steps as number;
    const steps = maxSteps > 0 ? Math.min(maxSteps, full) : full;
    const gflopStep = trainStepFlops(arch, batch) / 1e9;
    const ref = nearest(arch, batch, bench);
    // a model this small is bound by per-step overheads, not by its FLOPs: no estimate (see the README's measurement)
    const tiny = arch.hidden_size < 64;
    const cpu = tiny ? (steps <= 10 ? 'seconds' : 'not estimated (small model)') : duration((steps * gflopStep) / ref.gflops);
    const basis = tiny ? '-' : sameModel(ref.arch, arch) && ref.batch === batch ? `measured: ${ref.id} (${ref.sStep.toFixed(2)} s/step)` : `${ref.id} at ${ref.gflops.toFixed(0)} GFLOP/s`;
    const pflop = (steps * gflopStep) / 1e6;
    rows.push(`| \`${name}\` | ${Number.isFinite(steps) ? steps.toLocaleString('en-US') : `? (${note})`} | ${gflopStep < 1 ? gflopStep.toFixed(2) : gflopStep.toFixed(0)} | ${cpu} | ${basis} | ${pflop < 0.01 ? '< 0.01' : pflop.toFixed(pflop < 10 ? 2 : 0)} | ${tiny ? '-' : duration((steps * gflopStep) / (gpuTflops * 1e3))} |`);
  }
  console.log([
    `| config | train steps | GFLOP/step | CPU, 2 cores, 2 workers | basis (bench config) | schedule PFLOP | GPU at ${gpuTflops} TFLOP/s (arithmetic) |`,
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n'));
}

if (process.argv[1]?.endsWith('eta.ts')) await main();
