// Bit-identity check of training: runs N training steps of a config and prints sha256 hashes of what they leave
// behind, so that two versions of the engine can be compared on the same kernels (same backend, same matmul kernel,
// same worker count). Not a benchmark: nothing is timed.
//
//   node --import tsx bench/weights-hash.ts sudoku-tiny              # a Sudoku config of configs/, as configured
//   node --import tsx bench/weights-hash.ts b --workers 2            # a peer config (a-e) of ../shared/bench/peer.json
//   options: --steps N (default 20)  --workers N (0 = in-thread; default: the config's runtime.workers, peer configs 0)
//            --backend auto|wasm|cpu|tensorflow (default: $TRM_BACKEND, then the config's runtime.backend / auto)
//            --precision fp32|bf16 (default: the config's runtime.precision, peer configs fp32)
//   ($TRM_GEMM picks the wasm matmul kernel as everywhere.)
//
// Prints one JSON line: `weights` = the model state dict after the steps (reference names, sorted), `state` = the
// whole trainer state (weights, AdamATan2 moments, EMA shadow, ACT carry, and the JSON side: step, loader position,
// RNG), `eval` = weightsForEval(), `losses` = the per-step training metrics.
import { createHash } from 'node:crypto';
import type { Precision, TensorDict } from '@trm/tensor-core';
import { initBackend, type BackendName } from '@trm/tensor-node';
import { createTrainer, type TrainerOptions } from '@trm/trm';
import { createParallelTrainer } from '@trm/trm-parallel';
import { trainConfig } from '../apps/pipeline/src/stages/train.ts';
import { peerConfig } from './peer.ts';
import { archOf, loadBenchConfig, sudokuTrainSplit } from './sudoku-config.ts';
import { benchTrainConfig, syntheticSplit } from './suites/train.ts';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

function hashDict(dict: TensorDict): string {
  const h = createHash('sha256');
  for (const name of Object.keys(dict).sort()) {
    const t = dict[name];
    h.update(`${name}\0${t.dtype}\0${t.shape.join(',')}\0`);
    h.update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  }
  return h.digest('hex');
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

async function main(): Promise<void> {
  const config = process.argv[2];
  if (!config || config.startsWith('--')) throw new Error('usage: weights-hash.ts <configs/ Sudoku config | peer config a-e> [--steps N] [--workers N] [--backend B]');
  const steps = Number(option('steps') ?? 20);
  const peer = /^[a-e]$/.test(config);
  let options: Omit<TrainerOptions, 'model' | 'update'>;
  let workers: number;
  let backendName: string;
  let precision: Precision;
  if (peer) {
    const p = peerConfig(config);
    options = { arch: p.arch, train: benchTrainConfig(p.batch), data: syntheticSplit(p.arch, 4 * p.batch), seed: 0 };
    workers = Number(option('workers') ?? 0);
    backendName = option('backend') ?? process.env.TRM_BACKEND ?? 'auto';
    precision = (option('precision') ?? 'fp32') as Precision;
  } else {
    const cfg = await loadBenchConfig(config);
    const data = await sudokuTrainSplit(cfg);
    // epochs raised so that the schedule has the steps (the same on every version compared)
    options = { arch: archOf(cfg, data), train: { ...trainConfig(cfg), epochs: 1000 }, data, seed: cfg.seed };
    workers = Number(option('workers') ?? (cfg.runtime.workers as number));
    backendName = option('backend') ?? process.env.TRM_BACKEND ?? (cfg.runtime.backend as string);
    precision = (option('precision') ?? (cfg.runtime.precision as Precision | undefined) ?? 'fp32') as Precision;
  }
  const info = await initBackend(backendName as BackendName, { precision });
  const trainer = workers > 0 ? await createParallelTrainer({ ...options, workers, backend: info.name as BackendName }) : createTrainer(options);
  try {
    if (trainer.totalSteps < steps) throw new Error(`${config}: the schedule has only ${trainer.totalSteps} steps`);
    const losses: unknown[] = [];
    for (let i = 0; i < steps; i++) {
      const { sums: _s, ...m } = trainer.step();
      losses.push(m);
    }
    const state = trainer.state();
    const weights: TensorDict = {};
    for (const [k, t] of Object.entries(state.tensors)) if (!/^(ema|optim|carry)\./.test(k)) weights[k] = t;
    const report = {
      config,
      steps,
      workers,
      backend: info.name,
      precision: info.precision,
      gemm: info.gemm ? `${info.gemm}${info.gemmBuild ? ` ${info.gemmBuild}` : ''}` : null,
      weights: hashDict(weights),
      state: sha(hashDict(state.tensors) + JSON.stringify(state.meta)),
      eval: hashDict(trainer.weightsForEval()),
      losses: sha(JSON.stringify(losses)),
      last_loss: (losses[losses.length - 1] as { loss: number }).loss,
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    trainer.dispose();
  }
}

await main();
