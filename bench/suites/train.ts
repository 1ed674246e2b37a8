// Benchmark suite `train`: the one place that measures training speed. For each peer config a-e of
// ../shared/bench/peer.json (same sizes and batch) it times full training steps (forwardBackward + sparse sign-SGD
// + AdamATan2 + EMA) with
//   1 worker   = createTrainer in this thread (what runtime.workers 0 runs: the best single-core figure),
//   N workers  = createParallelTrainer({ workers: N }) (data parallel on N worker threads),
// each in a fresh Node process (peak RSS = process.resourceUsage().maxRSS, worker threads included), and compares
// them with the reference's PyTorch figures at 1 and 2 threads and with the targets of issue 6; in each precision
// (runtime.precision fp32 and bf16, option `precision`): float32 against peer.json, bfloat16 against peer-bf16.json
// (the reference's default forward_dtype; 2 threads only, config c not measured there: its bf16 rows are not compared).
// Rows (results[].name; <id> is the config, `<id>-bf16` in bfloat16):
//   train/matmul/gflops_w<N>, train/matmul/speedup_w2   aggregate n x n matmul of N worker threads at once
//   train/<id>/w<N>/{samples_per_s, tokens_per_s, gflops, share_of_matmul, ratio_to_peer_1t, ratio_to_peer_2t,
//                    peak_rss_mb}
//   train/<id>/w<N>/memory   where the memory is: wasm heaps (this thread's, then each worker's), V8 heaps, RSS
//                            after start-up (value: the wasm heaps' sum, MB)
//   train/<id>/speedup_w2, train/<id>/cpu_per_step_ratio_w2, train/targets
// Rows with a target carry `extra.target` and `extra.pass` (null when not comparable, e.g. with a batch override).
// FLOPs follow peer.json's formula (matmul FLOPs only). Options: see TrainBenchOptions and bench/README.md.
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import * as tf from '@tensorflow/tfjs-core';
import { readInto } from '@trm/tensor-core';
import { initBackend, type BackendName } from '@trm/tensor-node';
import { archDims, createTrainer, type ArchConfig, type EncodedSplit, type Trainer, type TrainConfig } from '@trm/trm';
import { createParallelTrainer, type DataParallelModel } from '@trm/trm-parallel';
import { matmulThroughput } from '../matmul-probe.ts';
import { type BenchResult, cpuSeconds, listOption, markdownTable, maxRssMb, median, runAsChild, runChildStreaming } from '../common.ts';
import type { Precision } from '@trm/tensor-core';
import { PEER_PATH, peerBf16Rows, peerConfig, peerConfigBf16, peerRows, type PeerConfig } from '../peer.ts';

export interface TrainBenchOptions {
  /** peer configs to run (default a-e) */
  configs?: string[];
  /** worker counts (default [1, 2]): 1 = the in-thread trainer, N >= 2 = createParallelTrainer with N workers */
  workers?: number[];
  /** timed steps per measurement after warm-up, median reported (default 4; config c 2) */
  steps?: number;
  /** untimed warm-up steps (default 3; config c 1) */
  warmup?: number;
  /**
   * measurements per worker count, interleaved (1, 2, 1, 2 workers, each in a fresh process), pooled into one
   * median (default 2; config c 1): the host's speed drifts, and one measurement each would compare two moments
   */
  rounds?: number;
  /** global batch instead of the peer config's (smoke runs: no comparison with peer.json, no pass flags) */
  batch?: number;
  /**
   * train.micro_batch_size: rows per forward/backward chunk, for every config (a number) or per config
   * (`{"c": 16}`); default DEFAULT_MICRO_BATCH (0 = the whole batch)
   */
  micro_batch?: number | Record<string, number>;
  backend?: BackendName;
  /** precisions to measure, each against the reference in the same precision (default both: fp32, bf16) */
  precision?: Precision | Precision[];
  /** size and repetitions of the aggregate matmul probe (train/matmul rows; reps 0 skips it) */
  matmul_n?: number;
  matmul_reps?: number;
  /** smoke run: config b at batch 8, 1 timed step, no warm-up, a short matmul probe */
  quick?: boolean;
  log?: (message: string) => void;
}

/** Config c (h512, batch 64) does not fit the 4 GB wasm heap in one piece: it runs in chunks of 16 rows. */
const DEFAULT_MICRO_BATCH: Record<string, number> = { c: 16 };
/** Timed steps, warm-up steps and rounds: config c takes ~18 s a step in one thread, so it does fewer. */
const DEFAULT_STEPS: Record<string, number> = { c: 2 };
const DEFAULT_WARMUP: Record<string, number> = { c: 1 };
const DEFAULT_ROUNDS: Record<string, number> = { c: 1 };
/** Issue 6 targets. Peak RSS: at most the reference's at the same thread count, every config. */
const TARGET_SPEEDUP_W2 = { min: 1.8, configs: ['a', 'b', 'd'] };
const TARGET_RATIO_2T = { min: 0.25, configs: ['a', 'b', 'c', 'd'] };
/** Issue 19: in bfloat16, 2 workers against the reference in bfloat16 at 2 threads. */
const TARGET_RATIO_2T_BF16 = { min: 1.5, configs: ['a', 'b', 'd', 'e'] };
/** The same-process matmul every measurement compares itself with: n^3 float32, median of reps. */
const PROBE = { n: 1024, reps: 5 };

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

// ---- child side: one (config, workers) measurement in a fresh process ----------------------------------------

interface ChildParams {
  id: string;
  workers: number;
  steps: number;
  warmup: number;
  /** 0 = the peer batch */
  batch: number;
  microBatch: number;
  backend: BackendName | null;
  precision: Precision;
}

/** What a child measures; the parent derives rates and ratios from it. */
interface Measurement {
  config: string;
  workers: number;
  mode: 'in-thread' | 'data-parallel';
  backend: string;
  backend_version: string;
  precision: Precision;
  /** bf16: the addon's bfloat16 GEMM kernel */
  bf16_kernel: string | null;
  batch: number;
  micro_batch: number;
  params: number;
  /** trainer construction (workers started, replicas built) */
  start_ms: number;
  step_ms: number[];
  /** median of step_ms */
  ms_step: number;
  /** median CPU seconds of the whole process (all threads) per timed step */
  cpu_s_step: number;
  /** data-parallel: median of (step - slowest worker's model time): dispatch, copies, optimizer, EMA */
  overhead_ms: number | null;
  /** data-parallel: per timed step, slowest / fastest worker's model time (1 = balanced; the host's vCPUs differ) */
  imbalance: number[];
  /** GFLOP/s of an n^3 matmul in this process at this worker count (1: this thread; N: N workers at once) */
  matmul_gflops: number;
  peak_rss_mb: number;
  /** RSS once the trainer is built (workers started), before the first step */
  rss_start_mb: number;
  /** after the timed steps: this thread's wasm heap (null on another backend), then each worker's */
  wasm_heap_mb: (number | null)[];
  /** after the timed steps: V8 heap total (committed) of this thread, then of each worker */
  v8_heap_mb: number[];
}

const mb = (bytes: number) => bytes / 2 ** 20;

/** This thread's wasm heap (MB; it only grows, so after the steps = its high-water mark), null on another backend. */
function wasmHeapMb(): number | null {
  const heap = (tf.backend() as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
  return heap ? mb(heap.byteLength) : null;
}

/**
 * GFLOP/s of one n x n float32 matmul on this thread's backend (median of `reps`, after a warm-up).
 * Not as `tf.tidy(() => tf.matMul(a, b).dataSync())`: tidy then walks every element of the returned
 * 1M-element array looking for tensors, which made the probe ~20x slower (0.4 vs 5-9 GFLOP/s here).
 */
function matmulGflops(n: number, reps: number): number {
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  const out = new Float32Array(n * n); // read back into one array, as the workers' probe does (a fresh 4 MB array per
  // product costs ~18 ms of page faults in this thread, more than the product itself with the native GEMM)
  const once = (): number => {
    const t0 = performance.now();
    const c = tf.matMul(a, b);
    readInto(c, out);
    c.dispose();
    return performance.now() - t0;
  };
  for (let i = 0; i < 3; i++) once(); // warm-up: kernel setup, first allocation, wasm tier-up
  const times: number[] = [];
  for (let r = 0; r < reps; r++) times.push(once());
  tf.dispose([a, b]);
  return (2 * n ** 3) / (median(times) / 1000) / 1e9;
}

/** The matmul reference point at this worker count, measured before the trainer exists (it adds little to the peak). */
async function probeMatmul(workers: number, backend: BackendName): Promise<number> {
  if (workers === 1) return matmulGflops(PROBE.n, PROBE.reps);
  return (await matmulThroughput({ workers, n: PROBE.n, reps: PROBE.reps, backend })).gflops;
}

async function measure(p: ChildParams): Promise<Measurement> {
  const log = (m: string) => process.stderr.write(`  ${p.id}${p.precision === 'bf16' ? '-bf16' : ''} w${p.workers} ${m}\n`);
  const info = await initBackend(p.backend ?? undefined, { precision: p.precision }); // the workers take this thread's
  const backend = info.name as BackendName;
  const peer = peerConfig(p.id);
  const batch = p.batch > 0 ? p.batch : peer.batch;
  const matmul = await probeMatmul(p.workers, backend);
  const opts = { arch: peer.arch, train: benchTrainConfig(batch, p.microBatch), data: syntheticSplit(peer.arch, 4 * batch), seed: 0 };
  const t0 = performance.now();
  const trainer: Trainer = p.workers === 1 ? createTrainer(opts) : await createParallelTrainer({ ...opts, workers: p.workers, backend });
  const startMs = performance.now() - t0;
  const rssStartMb = mb(process.memoryUsage().rss);
  const params = trainer.model.parameterCount().model;
  log(`${p.workers === 1 ? 'in-thread' : `${p.workers} workers`} on ${info.name}${info.bf16Kernel ? ` in bfloat16 (${info.bf16Kernel})` : ''}, batch ${batch}${p.microBatch ? ` in micro-batches of ${p.microBatch}` : ''}, ${params} params, matmul ${PROBE.n}^3 ${matmul.toFixed(1)} GFLOP/s, started in ${startMs.toFixed(0)} ms`);
  const parallel = p.workers === 1 ? null : (trainer.model as DataParallelModel);
  const times: number[] = [];
  const cpus: number[] = [];
  const overheads: number[] = [];
  const imbalance: number[] = [];
  for (let i = 0; i < p.warmup + p.steps; i++) {
    const c0 = process.cpuUsage();
    const s0 = performance.now();
    trainer.step();
    const ms = performance.now() - s0;
    const cpu = cpuSeconds(c0);
    const workerMs = parallel?.diagnostics.lastTimings?.computeMs ?? null;
    const modelMs = parallel?.diagnostics.lastTimings?.modelMs ?? null;
    if (i >= p.warmup) {
      times.push(ms);
      cpus.push(cpu);
      if (workerMs && !p.microBatch) overheads.push(ms - Math.max(...workerMs)); // (micro-batches: several calls a step)
      if (modelMs && !p.microBatch) imbalance.push(Math.max(...modelMs) / Math.min(...modelMs));
    }
    log(`${i < p.warmup ? 'warm-up' : `step ${i - p.warmup + 1}/${p.steps}`} ${ms.toFixed(0)} ms, process CPU ${cpu.toFixed(1)} s${workerMs ? ` (last call: workers ${workerMs.map((t) => t.toFixed(0)).join('/')} ms, model ${modelMs!.map((t) => t.toFixed(0)).join('/')} ms)` : ''}`);
  }
  const workerMemory = parallel?.diagnostics.memory() ?? [];
  const wasmHeaps = [wasmHeapMb(), ...workerMemory.map((w) => (w.wasmHeapBytes === null ? null : mb(w.wasmHeapBytes)))];
  const v8Heaps = [mb(getHeapStatistics().total_heap_size), ...workerMemory.map((w) => mb(w.v8HeapTotalBytes))];
  trainer.dispose();
  return {
    config: p.id,
    workers: p.workers,
    mode: p.workers === 1 ? 'in-thread' : 'data-parallel',
    backend: info.name,
    backend_version: info.version,
    precision: info.precision,
    bf16_kernel: info.bf16Kernel ?? null,
    batch,
    micro_batch: p.microBatch,
    params,
    start_ms: startMs,
    step_ms: times,
    ms_step: median(times),
    cpu_s_step: median(cpus),
    overhead_ms: overheads.length ? median(overheads) : null,
    imbalance,
    matmul_gflops: matmul,
    peak_rss_mb: maxRssMb(),
    rss_start_mb: rssStartMb,
    wasm_heap_mb: wasmHeaps,
    v8_heap_mb: v8Heaps,
  };
}

runAsChild<ChildParams>(import.meta.url, measure);

type PooledMeasurement = ReturnType<typeof poolRounds>;

/** One measurement from the interleaved rounds of the same (config, workers): every timed step pooled into one median. */
export function poolRounds(rounds: Measurement[]): Measurement & { round_ms_step: number[] } {
  const last = rounds[rounds.length - 1];
  const steps = rounds.flatMap((m) => m.step_ms);
  const overheads = rounds.map((m) => m.overhead_ms).filter((x): x is number => x !== null);
  return {
    ...last, // wasm and V8 heaps: the last round's
    start_ms: median(rounds.map((m) => m.start_ms)),
    step_ms: steps,
    ms_step: median(steps),
    cpu_s_step: median(rounds.map((m) => m.cpu_s_step)),
    overhead_ms: overheads.length ? median(overheads) : null,
    imbalance: rounds.flatMap((m) => m.imbalance),
    matmul_gflops: median(rounds.map((m) => m.matmul_gflops)),
    peak_rss_mb: Math.max(...rounds.map((m) => m.peak_rss_mb)),
    rss_start_mb: Math.max(...rounds.map((m) => m.rss_start_mb)),
    round_ms_step: rounds.map((m) => m.ms_step),
  };
}

// ---- parent side ------------------------------------------------------------------------------------------------

/** Rows of one measurement: every figure compared with the reference (when the batch is the peer's). */
function measurementRows(m: Measurement, peer: PeerConfig, comparable: boolean): BenchResult[] {
  const { arch } = peer;
  const bf16 = m.precision === 'bf16';
  const id = rowId(peer.id, m.precision);
  const base = `train/${id}/w${m.workers}`;
  const s = m.ms_step / 1000;
  const samplesPerS = m.batch / s;
  const gflops = trainStepFlops(arch, m.batch) / 1e9 / s;
  const refSame = m.workers === 1 ? peer.ref1 : peer.ref2; // the reference at the same thread count
  const ratio1 = comparable && peer.ref1 ? samplesPerS / peer.ref1.samples_per_s : null;
  const ratio2 = comparable ? samplesPerS / peer.ref2.samples_per_s : null;
  const targetRatio = bf16 ? TARGET_RATIO_2T_BF16 : TARGET_RATIO_2T;
  const ratioTarget = m.workers === 2 && targetRatio.configs.includes(peer.id);
  const refRss = refSame?.peak_rss_mb ?? null;
  const figures = {
    ...m,
    config: id, // the row's: `b-bf16` in bfloat16
    peer_name: bf16 ? `${peer.name} bfloat16` : peer.name,
    peer_source: bf16 ? 'peer-bf16.json' : 'peer.json',
    tokens_per_s: (m.batch * arch.seq_len) / s,
    gflop_step: trainStepFlops(arch, m.batch) / 1e9,
    gflops,
    share_of_matmul: gflops / m.matmul_gflops,
    ratio_to_peer_1t: ratio1,
    ratio_to_peer_2t: ratio2,
    peer_1t_samples_per_s: peer.ref1?.samples_per_s ?? null,
    peer_2t_samples_per_s: peer.ref2.samples_per_s,
    peer_peak_rss_mb: refRss,
    peer_params: peer.ref2.params,
    comparable,
  };
  const tag = { config: id, workers: m.workers, precision: m.precision };
  const rows: BenchResult[] = [
    { name: `${base}/samples_per_s`, unit: 'samples/s', value: samplesPerS, peak_rss_mb: m.peak_rss_mb, extra: figures },
    { name: `${base}/tokens_per_s`, unit: 'tokens/s', value: figures.tokens_per_s, extra: tag },
    { name: `${base}/gflops`, unit: 'GFLOP/s', value: gflops, extra: { ...tag, gflop_step: figures.gflop_step } },
    { name: `${base}/share_of_matmul`, unit: 'x', value: figures.share_of_matmul, extra: { ...tag, matmul_gflops: m.matmul_gflops, matmul_n: PROBE.n } },
    {
      name: `${base}/peak_rss_mb`, unit: 'MB', value: m.peak_rss_mb,
      extra: { ...tag, peer_peak_rss_mb: refRss, target: '<= reference peak RSS at the same thread count', pass: comparable && refRss !== null ? m.peak_rss_mb <= refRss : null },
    },
  ];
  rows.push({
    name: `${base}/memory`, unit: 'MB', value: m.wasm_heap_mb.reduce<number>((a, h) => a + (h ?? 0), 0),
    extra: { ...tag, note: 'value: wasm heaps summed; [this thread, worker 1, ...]', wasm_heap_mb: m.wasm_heap_mb, v8_heap_mb: m.v8_heap_mb, rss_start_mb: m.rss_start_mb, peak_rss_mb: m.peak_rss_mb },
  });
  if (m.imbalance.length) {
    rows.push({ name: `${base}/imbalance`, unit: 'x', value: median(m.imbalance), extra: { ...tag, note: 'median over timed steps of slowest / fastest worker model time', per_step: m.imbalance } });
  }
  if (ratio1 !== null) rows.push({ name: `${base}/ratio_to_peer_1t`, unit: 'x', value: ratio1, extra: tag });
  if (ratio2 !== null) {
    const target = ratioTarget ? { target: `>= ${targetRatio.min}`, pass: ratio2 >= targetRatio.min } : {};
    rows.push({ name: `${base}/ratio_to_peer_2t`, unit: 'x', value: ratio2, extra: { ...tag, ...target } });
  }
  return rows;
}

/** The config's name in rows: `b`, or `b-bf16` in bfloat16. */
function rowId(id: string, precision: Precision): string {
  return precision === 'bf16' ? `${id}-bf16` : id;
}

/**
 * 2 workers over 1 (same batch): samples/s speed-up of the pooled medians (and of each round's pair, to show the
 * spread), and CPU per step (1.0 = the split adds no work).
 */
function scalingRows(peerId: string, one: PooledMeasurement, two: PooledMeasurement, comparable: boolean): BenchResult[] {
  const id = rowId(peerId, one.precision);
  const speedup = one.ms_step / two.ms_step;
  const perRound = one.round_ms_step.map((ms, r) => ms / two.round_ms_step[r]).filter(Number.isFinite);
  const hasTarget = TARGET_SPEEDUP_W2.configs.includes(peerId);
  return [
    { name: `train/${id}/speedup_w2`, unit: 'x', value: speedup, extra: { config: id, per_round: perRound, ...(hasTarget ? { target: `>= ${TARGET_SPEEDUP_W2.min}`, pass: comparable ? speedup >= TARGET_SPEEDUP_W2.min : null } : {}) } },
    { name: `train/${id}/cpu_per_step_ratio_w2`, unit: 'x', value: two.cpu_s_step / one.cpu_s_step, extra: { config: id, note: 'process CPU seconds per step, 2 workers / 1 worker: 1.0 = the split adds no work (load-independent)' } },
  ];
}

/** One row counting the targets met; `extra.failed` names the rows that missed theirs. */
function targetsRow(results: BenchResult[]): BenchResult {
  const checked = results.filter((r) => typeof r.extra?.pass === 'boolean');
  const failed = checked.filter((r) => r.extra!.pass === false).map((r) => `${r.name} = ${r.value.toPrecision(3)} (target ${r.extra!.target})`);
  return { name: 'train/targets', unit: 'passed', value: checked.length - failed.length, extra: { checked: checked.length, failed } };
}

/** The FLOP formula must agree with peer.json's count for the config (within 1%), or every rate is off. */
function checkFlops(peer: PeerConfig): PeerConfig {
  const gflop = trainStepFlops(peer.arch, peer.batch) / 1e9;
  if (Math.abs(gflop - peer.ref2.gflop_step) > 0.01 * peer.ref2.gflop_step) {
    throw new Error(`bench train: the FLOP formula gives ${gflop.toFixed(3)} GFLOP per step for config ${peer.id}, ${PEER_PATH} says ${peer.ref2.gflop_step.toFixed(3)}`);
  }
  return peer;
}

function positiveInt(value: unknown, what: string, min: number): number {
  if (!Number.isInteger(value) || (value as number) < min) throw new Error(`bench train: ${what} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return value as number;
}

export async function run(opts: TrainBenchOptions = {}): Promise<BenchResult[]> {
  const log = opts.log ?? ((m: string) => console.error(m));
  const configs = listOption(opts.configs ?? (opts.quick ? ['b'] : ['a', 'b', 'c', 'd', 'e']), 'string', 'bench train: configs');
  const workerCounts = listOption(opts.workers ?? [1, 2], 'number', 'bench train: workers').map((w) => positiveInt(w, 'workers[]', 1));
  const batch = positiveInt(opts.batch ?? (opts.quick ? 8 : 0), 'batch', 0);
  const warmupOf = (id: string) => positiveInt(opts.warmup ?? (opts.quick ? 0 : (DEFAULT_WARMUP[id] ?? 3)), 'warmup', 0);
  const stepsOf = (id: string) => positiveInt(opts.steps ?? (opts.quick ? 1 : (DEFAULT_STEPS[id] ?? 4)), 'steps', 1);
  const roundsOf = (id: string) => positiveInt(opts.rounds ?? (opts.quick ? 1 : (DEFAULT_ROUNDS[id] ?? 2)), 'rounds', 1);
  const microOf = (id: string) => positiveInt(typeof opts.micro_batch === 'number' ? opts.micro_batch : (opts.micro_batch?.[id] ?? DEFAULT_MICRO_BATCH[id] ?? 0), 'micro_batch', 0);
  const precisions = listOption(opts.precision ?? ['fp32', 'bf16'], 'string', 'bench train: precision') as Precision[];
  for (const p of precisions) if (p !== 'fp32' && p !== 'bf16') throw new Error(`bench train: precision must be fp32 or bf16, got ${JSON.stringify(p)}`);
  const rows = peerRows();
  const bf16Rows = precisions.includes('bf16') ? peerBf16Rows() : [];
  // every option is checked (and unknown configs fail) before anything runs; bf16 configs without a bfloat16
  // reference row (c) are measured against the float32 one's sizes but not compared
  const plan = precisions.flatMap((precision) => configs.map((id) => {
    const fp32 = checkFlops(peerConfig(id, rows));
    const peer = precision === 'bf16' ? peerConfigBf16(id, rows, bf16Rows) : fp32;
    return { peer: peer ?? fp32, referenced: peer !== null, precision, steps: stepsOf(id), warmup: warmupOf(id), rounds: roundsOf(id), microBatch: microOf(id) };
  }));
  for (const x of plan) if (!x.referenced) log(`bench train: ${x.peer.id} in bf16 has no row in peer-bf16.json: measured, not compared`);
  const results: BenchResult[] = [];

  const n = positiveInt(opts.matmul_n ?? 512, 'matmul_n', 1);
  const reps = positiveInt(opts.matmul_reps ?? (opts.quick ? 5 : 20), 'matmul_reps', 0);
  const matmul = new Map<number, number>();
  for (const workers of reps > 0 ? workerCounts : []) {
    const m = await matmulThroughput({ workers, n, reps, backend: opts.backend });
    matmul.set(workers, m.gflops);
    log(`matmul ${n}^3 x${reps}, ${workers} worker thread(s) at once on ${m.backend}: ${m.gflops.toFixed(1)} GFLOP/s aggregate`);
    results.push({ name: `train/matmul/gflops_w${workers}`, unit: 'GFLOP/s', value: m.gflops, extra: { n, reps, workers, backend: m.backend, seconds: m.seconds } });
  }
  if (matmul.has(1) && matmul.has(2)) results.push({ name: 'train/matmul/speedup_w2', unit: 'x', value: matmul.get(2)! / matmul.get(1)!, extra: { n, ideal: 2 } });

  for (const { peer, referenced, precision, steps, warmup, rounds, microBatch } of plan) {
    const id = peer.id;
    const comparable = batch === 0 && referenced;
    // rounds interleaved (1, 2, 1, 2 workers): both worker counts see the host's drift alike
    const measured = new Map<number, Measurement[]>(workerCounts.map((w) => [w, []]));
    const failed = new Map<number, string>();
    for (let round = 0; round < rounds; round++) {
      for (const workers of workerCounts) {
        if (failed.has(workers)) continue;
        const params: ChildParams = { id, workers, steps, warmup, batch, microBatch, backend: opts.backend ?? null, precision };
        const label = `bench train ${rowId(id, precision)} w${workers}${rounds > 1 ? ` round ${round + 1}/${rounds}` : ''}`;
        try {
          measured.get(workers)!.push(await runChildStreaming<Measurement>(fileURLToPath(import.meta.url), params, label, log, (line) => /^  \S+ w\d+ /.test(line)));
        } catch (err) {
          const error = err instanceof Error ? err.message : String(err);
          log(`train ${rowId(id, precision)} w${workers}: FAILED (${error})`);
          failed.set(workers, error);
        }
      }
    }
    const byWorkers = new Map<number, PooledMeasurement>();
    for (const workers of workerCounts) {
      const error = failed.get(workers);
      if (error !== undefined) {
        results.push({ name: `train/${rowId(id, precision)}/w${workers}/samples_per_s`, unit: 'samples/s', value: Number.NaN, extra: { config: rowId(id, precision), workers, precision, error } });
        continue;
      }
      const pooled = poolRounds(measured.get(workers)!);
      byWorkers.set(workers, pooled);
      results.push(...measurementRows(pooled, peer, comparable));
    }
    const one = byWorkers.get(1);
    const two = byWorkers.get(2);
    if (one && two) results.push(...scalingRows(id, one, two, comparable));
  }
  results.push(targetsRow(results));
  return results;
}

// ---- Markdown summary (bench/results/train.md) ------------------------------------------------------------------

const fixed = (x: number | null | undefined, digits: number): string => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(digits));
/** " (rounds 1.79, 1.86)": each interleaved round's own speed-up, when there was more than one */
const perRound = (r: BenchResult): string => {
  const rounds = (r.extra?.per_round as number[] | undefined) ?? [];
  return rounds.length > 1 ? ` (rounds ${rounds.map((x) => x.toFixed(2)).join(', ')})` : '';
};
const verdict = (r: BenchResult | undefined): string => (typeof r?.extra?.pass === 'boolean' ? (r.extra.pass ? ' pass' : ' FAIL') : '');

/** The summary table of a train run, from its results (the runner writes it next to the JSON). */
export function markdown(results: BenchResult[]): string {
  const byName = new Map(results.map((r) => [r.name, r]));
  const lines: string[] = ['# Training speed (bench suite `train`)', ''];
  const measured = results.filter((r) => /^train\/[^/]+\/w\d+\/samples_per_s$/.test(r.name));
  const table = measured.map((r) => {
    const x = r.extra as Record<string, unknown> & { config: string; workers: number };
    const base = `train/${x.config}/w${x.workers}`;
    if (x.error) return [x.config, String(x.workers), `FAILED: ${String(x.error).replace(/\|/g, '/')}`, '', '', '', '', '', '', '', ''];
    const speed = x.workers === 2 ? byName.get(`train/${x.config}/speedup_w2`) : undefined;
    const ratio = byName.get(`${base}/ratio_to_peer_2t`);
    const rss = byName.get(`${base}/peak_rss_mb`);
    return [
      `${x.config} ${x.peer_name as string}`,
      `${x.workers}${x.micro_batch ? ` (micro ${x.micro_batch as number})` : ''}`,
      fixed((x.ms_step as number) / 1000, 2),
      fixed(r.value, 3),
      fixed(x.gflops as number, 1),
      `${fixed(100 * (x.share_of_matmul as number), 0)}%`,
      `${fixed(ratio?.value, 3)}${verdict(ratio)}`,
      speed ? `${fixed(speed.value, 2)}x${verdict(speed)}${perRound(speed)}` : '',
      `${fixed(rss?.value, 0)}${verdict(rss)}`,
      fixed(x.peer_peak_rss_mb as number | null, 0),
      fixed(x.cpu_s_step as number, 1),
    ];
  });
  lines.push(markdownTable(['config', 'workers', 's/step', 'samples/s', 'GFLOP/s', '% of matmul', 'ratio ref 2t', 'speed-up', 'peak RSS MB', 'ref RSS MB', 'CPU s/step'], table), '');
  const first = measured.find((r) => !r.extra?.error)?.extra;
  if (first && first.comparable === false && first.batch !== undefined && measured.every((r) => r.extra?.comparable === false)) lines.push(`Batch override (${first.batch as number}): not comparable with peer.json, no pass/fail.`, '');
  if (measured.some((r) => r.extra?.precision === 'bf16')) {
    lines.push('`<id>-bf16` rows: runtime.precision bf16, compared with the reference in its default precision (forward_dtype bfloat16, ' +
      '../shared/bench/peer-bf16.json, 2 threads only; config c has no bfloat16 reference row); the other rows are float32 against peer.json.', '');
  }
  lines.push('1 worker = createTrainer in the main thread; N workers = createParallelTrainer. "% of matmul": GFLOP/s over the same process\'s ' +
    `${PROBE.n}^3 matmul at the same worker count. Ref RSS: the reference at the same thread count (1 worker: 1 thread). ` +
    'CPU s/step: all threads of the process (load-independent; on a busy machine compare it rather than wall time). ' +
    's/step: median of every timed step of the interleaved rounds (1, 2, 1, 2 workers, each in a fresh process).', '');
  const imbalance = results.filter((r) => /^train\/[^/]+\/w\d+\/imbalance$/.test(r.name));
  if (imbalance.length) {
    lines.push('Worker imbalance (slowest / fastest worker\'s model time per step, median; the work is split evenly, so above ' +
      '1.0 it is one vCPU running slower): ' + imbalance.map((r) => `${r.extra!.config as string} ${fixed(r.value, 3)}`).join(', ') + '.', '');
  }
  const mm = results.filter((r) => r.name.startsWith('train/matmul/gflops_w'));
  if (mm.length) {
    const speed = byName.get('train/matmul/speedup_w2');
    lines.push(markdownTable(['matmul workers', 'n', 'aggregate GFLOP/s', 'speed-up'], mm.map((r) => [String(r.extra!.workers), String(r.extra!.n), fixed(r.value, 1), r.extra!.workers === 2 && speed ? `${fixed(speed.value, 2)}x` : ''])), '');
  }
  const targets = byName.get('train/targets');
  if (targets) {
    const failed = targets.extra!.failed as string[];
    lines.push(`Targets met: ${targets.value} of ${targets.extra!.checked as number}.`, ...failed.map((f) => `- FAIL ${f}`), '');
  }
  return lines.join('\n');
}
