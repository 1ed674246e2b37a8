// Benchmark suite `train`: one full training step (forwardBackward + sparse sign-SGD + AdamATan2 + EMA) for the
// five configurations a-e of ../shared/bench/peer.json, at the same sizes and batch, compared with the reference's
// PyTorch 2-thread figures. FLOPs follow peer.json's formula (matmul FLOPs only).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendName } from '@trm/tensor-core';
import { archDims, createTrainer, type ArchConfig, type EncodedSplit, type TrainConfig } from '@trm/trm';
import { type BenchResult, median, rssMb } from '../common.ts';


export interface TrainBenchOptions {
  /** configs to run (default a-e) */
  configs?: string[];
  /** timed steps per config after warm-up (median reported; default 5) */
  steps?: number;
  /** untimed warm-up steps (default 1) */
  warmup?: number;
  backend?: BackendName;
  /**
   * train.micro_batch_size: rows per forward/backward chunk, for every config (a number) or per config
   * (`{"c": 16}`); default DEFAULT_MICRO_BATCH (0 = the whole batch)
   */
  micro_batch?: number | Record<string, number>;
  log?: (message: string) => void;
}

interface PeerCfg {
  seq_len: number;
  vocab_size: number;
  hidden_size: number;
  num_heads: number;
  expansion: number;
  L_layers: number;
  H_cycles: number;
  L_cycles: number;
  mlp_t: boolean;
  pos_encodings: 'rope' | 'none';
  puzzle_emb_ndim: number;
  puzzle_emb_len: number;
  num_puzzle_identifiers: number;
  halt_max_steps: number;
  halt_exploration_prob: number;
  batch_size: number;
}

interface PeerRow {
  config: string;
  name: string;
  threads: number;
  cfg: PeerCfg;
  params: number;
  ms_step: number;
  samples_per_s: number;
  gflop_step: number;
  gflops: number;
}

const PEER_PATH = fileURLToPath(new URL('../../../shared/bench/peer.json', import.meta.url));

function archOf(c: PeerCfg): ArchConfig {
  return {
    seq_len: c.seq_len,
    vocab_size: c.vocab_size,
    num_puzzle_identifiers: c.num_puzzle_identifiers,
    hidden_size: c.hidden_size,
    num_heads: c.num_heads,
    expansion: c.expansion,
    L_layers: c.L_layers,
    H_cycles: c.H_cycles,
    L_cycles: c.L_cycles,
    mlp_t: c.mlp_t,
    pos_encodings: c.pos_encodings,
    puzzle_emb_ndim: c.puzzle_emb_ndim,
    puzzle_emb_len: c.puzzle_emb_len,
    halt_max_steps: c.halt_max_steps,
    halt_exploration_prob: c.halt_exploration_prob,
    rope_theta: 10000,
    rms_norm_eps: 1e-5,
    no_ACT_continue: true,
  };
}

/**
 * Matmul FLOPs of one training step (peer.json `flop_count`): forward runs H_cycles*(L_cycles+1)*L_layers blocks
 * plus the heads; backward costs twice the forward of the (L_cycles+1)*L_layers blocks of the last H cycle and of
 * the heads. lm_head runs on every position (puzzle slots included), as the reference computes it.
 */
export function trainStepFlops(arch: ArchConfig, batch: number): number {
  const d = archDims(arch);
  const B = batch;
  const L = d.totalLen;
  const D = arch.hidden_size;
  const mlp = (rows: number, width: number, inner: number) => 2 * rows * width * 2 * inner + 2 * rows * inner * width;
  const mixer = arch.mlp_t
    ? mlp(B * D, L, d.innerTokens) // SwiGLU over the position axis
    : 2 * B * L * D * 3 * D + 2 * 2 * B * L * L * D + 2 * B * L * D * D; // qkv, QK^T and AV, output projection
  const block = mixer + mlp(B * L, D, d.innerHidden);
  const heads = 2 * B * L * D * arch.vocab_size + 2 * B * D * 2;
  const forwardBlocks = arch.H_cycles * (arch.L_cycles + 1) * arch.L_layers;
  const gradBlocks = (arch.L_cycles + 1) * arch.L_layers;
  return (forwardBlocks + 2 * gradBlocks) * block + 3 * heads;
}

/** A synthetic train split of the config's shape: `groups` one-example puzzles, random tokens. */
export function syntheticSplit(arch: ArchConfig, groups: number): EncodedSplit {
  const S = arch.seq_len;
  const n = groups;
  const inputs = new Uint8Array(n * S);
  const labels = new Uint8Array(n * S);
  let x = 12345;
  for (let i = 0; i < n * S; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    inputs[i] = 1 + (x >>> 16) % (arch.vocab_size - 1);
    labels[i] = 1 + (x >>> 8) % (arch.vocab_size - 1);
  }
  return {
    inputs,
    labels,
    puzzleIdentifiers: new Int32Array(n),
    puzzleIndex: Int32Array.from({ length: n }, (_, i) => i),
    groupIndex: Int32Array.from({ length: n }, (_, i) => i),
    seqLen: S,
    vocabSize: arch.vocab_size,
    ignoreLabelId: 0,
    numPuzzleIdentifiers: arch.num_puzzle_identifiers,
  };
}


/**
 * GFLOP/s of one large float32 matmul on the active backend (same run, same machine state).
 * Not as `tf.tidy(() => tf.matMul(a, b).dataSync())`: tidy then walks every element of the returned
 * 1M-element array looking for tensors, which made the probe ~20x slower (0.4 vs 5-9 GFLOP/s here).
 */
function matmulGflops(n = 1024, reps = 5): number {
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  const once = (): number => {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    c.dataSync();
    c.dispose();
    return performance.now() - t0;
  };
  once(); // warm-up
  const times: number[] = [];
  for (let r = 0; r < reps; r++) times.push(once());
  tf.dispose([a, b]);
  return (2 * n * n * n) / (median(times) / 1000) / 1e9;
}

/** The optimiser settings of a timed step: the Sudoku recipe's (every update does the same work whatever the values). */
export function benchTrainConfig(batch: number, microBatch = 0): TrainConfig {
  return {
    global_batch_size: batch,
    epochs: 1000,
    lr: 1e-4,
    lr_min_ratio: 1,
    lr_warmup_steps: 10,
    weight_decay: 1,
    beta1: 0.9,
    beta2: 0.95,
    puzzle_emb_lr: 1e-4,
    puzzle_emb_weight_decay: 1,
    ema: true,
    ema_rate: 0.999,
    micro_batch_size: microBatch,
  };
}

/** Measure one config in this process (the child side of `run`). */
async function measureConfig(id: string, steps: number, warmup: number, microBatch: number, backendName: BackendName | undefined, log: (m: string) => void): Promise<BenchResult[]> {
  const backend = await initBackend(backendName);
  const peer = (JSON.parse(readFileSync(PEER_PATH, 'utf8')) as { rows: PeerRow[] }).rows;
  const rows = peer.filter((r) => r.config === id);
  const ref2 = rows.find((r) => r.threads === 2);
  if (!ref2) throw new Error(`bench train: config "${id}" is not in ${PEER_PATH} (known: ${[...new Set(peer.map((r) => r.config))].join(', ')})`);
  const ref1 = rows.find((r) => r.threads === 1);
  const arch = archOf(ref2.cfg);
  const B = ref2.cfg.batch_size;
  const flops = trainStepFlops(arch, B);
  const flopError = Math.abs(flops / 1e9 - ref2.gflop_step) / ref2.gflop_step;
  if (flopError > 0.01) throw new Error(`bench train: FLOP formula gives ${(flops / 1e9).toFixed(3)} GFLOP for ${id}, peer.json says ${ref2.gflop_step.toFixed(3)}`);
  const matmul = matmulGflops();

  const train = benchTrainConfig(B, microBatch);
  const trainer = createTrainer({ arch, train, data: syntheticSplit(arch, 4 * B), seed: 0 });
  const params = trainer.model.parameterCount();
  log(`train bench ${id} ${ref2.name} on ${backend.name}: ${params.model} params (peer ${ref2.params}), ${(flops / 1e9).toFixed(1)} GFLOP/step, matmul ${matmul.toFixed(1)} GFLOP/s${microBatch > 0 ? `, micro-batch ${microBatch}` : ''}`);
  let peak = rssMb();
  for (let i = 0; i < warmup; i++) {
    const t0 = performance.now();
    trainer.step();
    log(`  warm-up step ${(performance.now() - t0).toFixed(0)} ms`);
    peak = Math.max(peak, rssMb());
  }
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    trainer.step();
    times.push(performance.now() - t0);
    peak = Math.max(peak, rssMb());
    log(`  step ${i + 1}/${steps} ${times[i].toFixed(0)} ms`);
  }
  trainer.dispose();
  const ms = median(times);
  const samplesPerS = B / (ms / 1000);
  const gflops = flops / 1e9 / (ms / 1000);
  const extra = {
    config: id,
    peer_name: ref2.name,
    backend: backend.name,
    backend_version: backend.version,
    batch: B,
    micro_batch: microBatch,
    ms_step: ms,
    steps_timed: steps,
    step_ms: times,
    tokens_per_s: (B * arch.seq_len) / (ms / 1000),
    gflop_step: flops / 1e9,
    peer_gflop_step: ref2.gflop_step,
    params: params.model,
    peer_params: ref2.params,
    matmul_1024_gflops: matmul,
    share_of_matmul: gflops / matmul,
    peer_2t_samples_per_s: ref2.samples_per_s,
    peer_1t_samples_per_s: ref1?.samples_per_s ?? null,
    peer_2t_gflops: ref2.gflops,
  };
  return [
    { name: `train/${id}/samples_per_s`, unit: 'samples/s', value: samplesPerS, peak_rss_mb: peak, extra },
    { name: `train/${id}/gflops`, unit: 'GFLOP/s', value: gflops, peak_rss_mb: peak, extra: { config: id, matmul_1024_gflops: matmul } },
    { name: `train/${id}/ratio_to_peer_2t`, unit: 'x', value: samplesPerS / ref2.samples_per_s, extra: { config: id, peer_2t_samples_per_s: ref2.samples_per_s } },
  ];
}

const CHILD_FLAG = '--train-bench-child';

/**
 * Every config runs in its own Node process: the wasm heap never shrinks, so peak RSS is only meaningful in a fresh
 * process, and a backend abort (e.g. the 4 GB wasm heap limit) loses one config, not the suite. A failed config is
 * reported with value NaN and the error in `extra.error`.
 */
/** Config c (h512, batch 64) does not fit the 4 GB wasm heap in one piece: it runs in chunks of 16 rows. */
const DEFAULT_MICRO_BATCH: Record<string, number> = { c: 16 };

export async function run(opts: TrainBenchOptions = {}): Promise<BenchResult[]> {
  const log = opts.log ?? ((m: string) => console.error(m));
  const steps = Math.max(1, opts.steps ?? 5);
  const warmup = Math.max(0, opts.warmup ?? 1);
  const results: BenchResult[] = [];
  for (const id of opts.configs ?? ['a', 'b', 'c', 'd', 'e']) {
    const microBatch = typeof opts.micro_batch === 'number' ? opts.micro_batch : (opts.micro_batch?.[id] ?? DEFAULT_MICRO_BATCH[id] ?? 0);
    if (!Number.isInteger(microBatch) || microBatch < 0) throw new Error(`bench train: micro_batch must be an integer >= 0, got ${JSON.stringify(opts.micro_batch)}`);
    const args = ['--import', 'tsx', fileURLToPath(import.meta.url), CHILD_FLAG, id, String(steps), String(warmup), String(microBatch), opts.backend ?? ''];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    let stderrTail = '';
    child.stderr.on('data', (d: Buffer) => {
      const text = d.toString();
      stderrTail = (stderrTail + text).slice(-2000);
      for (const line of text.split('\n')) if (/^(train bench|  (warm-up )?step)/.test(line)) log(line);
    });
    const code: number = await new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));
    const marker = stdout.lastIndexOf('\n@@RESULTS ');
    if (code === 0 && marker >= 0) {
      results.push(...(JSON.parse(stdout.slice(marker + '\n@@RESULTS '.length)) as BenchResult[]));
    } else {
      const error = stderrTail.split('\n').filter((l) => /Error|Aborted|heap/i.test(l)).slice(-3).join(' | ') || `exit code ${code}`;
      log(`train bench ${id}: FAILED (${error})`);
      results.push({ name: `train/${id}/samples_per_s`, unit: 'samples/s', value: Number.NaN, extra: { config: id, error } });
    }
  }
  return results;
}

if (process.argv[2] === CHILD_FLAG) {
  const [id, steps, warmup, microBatch, backend] = process.argv.slice(3);
  const results = await measureConfig(id, Number(steps), Number(warmup), Number(microBatch), (backend || undefined) as BackendName | undefined, (m) => console.error(m));
  process.stdout.write(`\n@@RESULTS ${JSON.stringify(results)}\n`);
}
