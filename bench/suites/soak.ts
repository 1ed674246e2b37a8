// Benchmark suite `soak`: does a long training run hold its memory steady? 500 training steps of the sudoku-tiny
// config (data built in memory through @trm/sudoku, as fetch -> augment -> encode would), in a fresh Node process
// per worker count (0 = createTrainer in the main thread, N = createParallelTrainer with N workers). Every `every`
// steps, after a forced GC, it samples RSS, the JS heap, tf.memory() (numTensors, numBytes), the main thread's
// wasm heap, and for N workers each worker's live tensor count. Not part of `npm test` (it runs for minutes).
// Rows: soak/w<N>/rss_slope_mb_per_100 (least-squares slope of RSS over the second half; `extra` holds the floor
// slope, the pass flag of the whole run, its checks and every sample), soak/w<N>/num_tensors_growth,
// soak/w<N>/wasm_heap_growth_mb.
// Options (`--set`): steps=500, every=25, workers=[0,2], config="sudoku-tiny", backend="wasm", rss_slope_max=1.
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendName } from '@trm/tensor-node';
import { createTrainer, type Trainer } from '@trm/trm';
import { createParallelTrainer, type DataParallelModel } from '@trm/trm-parallel';
import { type BenchResult, cpuSeconds, listOption, markdownTable, rssMb, runAsChild, runChildStreaming, slope } from '../common.ts';
import { archOf, loadBenchConfig, sudokuTrainSplit, trainConfigFor } from '../sudoku-config.ts';

export interface SoakOptions {
  /** training steps (default 500) */
  steps?: number;
  /** sample every this many steps (default 25) */
  every?: number;
  /** worker counts, one run each (default [0, 2]; 0 = the in-thread trainer) */
  workers?: number[];
  /** config under configs/ (default sudoku-tiny) */
  config?: string;
  /**
   * backend of the main thread and the workers (default wasm: what `auto` picks on this machine, and the backend
   * whose heap never shrinks; sudoku-tiny itself names cpu to keep CI start-up short)
   */
  backend?: BackendName;
  /** pass threshold of the RSS floor's slope over the second half, MB per 100 steps (default RSS_SLOPE_MAX) */
  rss_slope_max?: number;
  quick?: boolean;
  log?: (message: string) => void;
}

/**
 * Pass threshold of the RSS floor's growth over the second half of the run, in MB per 100 steps. All live tensors
 * of sudoku-tiny take ~0.4 MB, so tensor leaks show up exactly in the tensor counts long before RSS; RSS
 * catches host-side leaks (metrics, typed-array copies, allocator fragmentation). 1 MB / 100 steps is what a
 * 50,000-step run (the Sudoku recipe) could afford at most (+500 MB by its end). Every sample follows a full GC of
 * the main thread and of every worker (DataParallelModel.diagnostics.collectGarbage), so RSS shows what is retained, not
 * where the collections fell: without the workers' GC, 2 workers sawed up ~6 MB / 100 steps between their own
 * collections (a 500-step window then failed; over 5,000 steps RSS came back to 439 MB from 437). The floor (each
 * sample's minimum with every later sample) is kept as the pass figure; the raw slope is reported beside it.
 */
const RSS_SLOPE_MAX = 1;

interface ChildParams {
  config: string;
  workers: number;
  steps: number;
  every: number;
  backend: BackendName;
}

interface Sample {
  step: number;
  rss_mb: number;
  js_heap_mb: number;
  num_tensors: number;
  num_bytes: number;
  /** the main thread's wasm memory (null on other backends) */
  wasm_heap_mb: number | null;
  /** live tensors of each worker (data-parallel runs) */
  worker_tensors: number[] | null;
  /** mean wall ms per step since the previous sample */
  ms_step: number;
}

interface SoakRun {
  config: string;
  workers: number;
  backend: string;
  steps: number;
  batch: number;
  params: number;
  /** the last step's loss (a soak of a diverging run would say little) */
  final_loss: number;
  /** wall and CPU seconds (all threads) of the steps and samples */
  wall_s: number;
  cpu_s: number;
  samples: Sample[];
}

/** The wasm backend's heap (Emscripten memory), in MiB; null when the active backend is not wasm. */
function wasmHeapMb(): number | null {
  const heap = (tf.backend() as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8;
  return heap ? heap.buffer.byteLength / 2 ** 20 : null;
}

async function soak(p: ChildParams): Promise<SoakRun> {
  const log = (m: string) => process.stderr.write(`  w${p.workers} ${m}\n`);
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('bench soak: the child needs --expose-gc (RSS samples are taken after a full GC)');
  const info = await initBackend(p.backend);
  const cfg = await loadBenchConfig(p.config);
  const data = await sudokuTrainSplit(cfg);
  const arch = archOf(cfg, data);
  const train = trainConfigFor(cfg, data, p.steps);
  const opts = { arch, train, data, seed: cfg.seed };
  const trainer: Trainer = p.workers === 0 ? createTrainer(opts) : await createParallelTrainer({ ...opts, workers: p.workers, backend: info.name as BackendName });
  const parallel = p.workers === 0 ? null : (trainer.model as DataParallelModel);
  log(`${p.config} on ${info.name}${parallel ? ` x ${p.workers} workers` : ' in-thread'}: ${data.puzzleIndex.length} examples, batch ${train.global_batch_size}, ${trainer.model.parameterCount().model} params, ${p.steps} steps`);
  const samples: Sample[] = [];
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let t0 = start;
  let loss = Number.NaN;
  for (let step = 1; step <= p.steps; step++) {
    loss = trainer.step().loss;
    if (step % p.every !== 0 && step !== p.steps) continue;
    const msStep = (performance.now() - t0) / (step - (samples.at(-1)?.step ?? 0));
    gc();
    if (parallel && !parallel.diagnostics.collectGarbage()) throw new Error('bench soak: the workers could not run a full GC (--expose-gc did not reach them)');
    const mem = tf.memory();
    const s: Sample = {
      step, rss_mb: rssMb(), js_heap_mb: process.memoryUsage().heapUsed / 2 ** 20, num_tensors: mem.numTensors, num_bytes: mem.numBytes,
      wasm_heap_mb: wasmHeapMb(), worker_tensors: parallel ? parallel.diagnostics.tensorCounts() : null, ms_step: msStep,
    };
    samples.push(s);
    log(`step ${step}: RSS ${s.rss_mb.toFixed(1)} MB, JS heap ${s.js_heap_mb.toFixed(1)} MB, ${s.num_tensors} tensors (${(s.num_bytes / 1024).toFixed(0)} KB)${s.wasm_heap_mb !== null ? `, wasm heap ${s.wasm_heap_mb} MB` : ''}${s.worker_tensors ? `, worker tensors ${s.worker_tensors.join('/')}` : ''}, ${msStep.toFixed(1)} ms/step, loss ${loss.toFixed(4)}`);
    t0 = performance.now();
  }
  const result: SoakRun = {
    config: p.config, workers: p.workers, backend: info.name, steps: p.steps, batch: train.global_batch_size,
    params: trainer.model.parameterCount().model, final_loss: loss, wall_s: (performance.now() - start) / 1000, cpu_s: cpuSeconds(cpu0), samples,
  };
  trainer.dispose();
  return result;
}

runAsChild<ChildParams>(import.meta.url, soak);

// ---- parent side ------------------------------------------------------------------------------------------------

/** Each sample's RSS or the lowest RSS of any later sample, if lower: the level later GCs came back down to. */
function rssFloor(samples: Sample[]): number[] {
  const out = samples.map((s) => s.rss_mb);
  for (let i = out.length - 2; i >= 0; i--) out[i] = Math.min(out[i], out[i + 1]);
  return out;
}

/** Growth figures of one run and its pass flag. */
function growthRows(run: SoakRun, slopeMax: number): BenchResult[] {
  const base = `soak/w${run.workers}`;
  const { samples } = run;
  const first = samples[0];
  const last = samples.at(-1)!;
  const half = samples.filter((s) => s.step >= run.steps / 2);
  const rssSlope = 100 * slope(half.map((s) => s.step), half.map((s) => s.rss_mb));
  const jsHeapSlope = 100 * slope(half.map((s) => s.step), half.map((s) => s.js_heap_mb));
  const floor = rssFloor(samples).slice(samples.length - half.length);
  const floorSlope = 100 * slope(half.map((s) => s.step), floor);
  const tensorGrowth = last.num_tensors - first.num_tensors;
  const workerGrowth = last.worker_tensors && first.worker_tensors ? last.worker_tensors.map((n, i) => n - first.worker_tensors![i]) : null;
  const wasmGrowth = last.wasm_heap_mb !== null && half[0].wasm_heap_mb !== null ? last.wasm_heap_mb - half[0].wasm_heap_mb : null;
  const checks = {
    rss_floor_slope: floorSlope < slopeMax,
    main_tensors: tensorGrowth <= 0,
    worker_tensors: workerGrowth ? workerGrowth.every((g) => g <= 0) : null,
    wasm_heap_second_half: wasmGrowth === null ? null : wasmGrowth <= 0,
  };
  const pass = Object.values(checks).every((c) => c !== false);
  const tag = { workers: run.workers, config: run.config, backend: run.backend };
  return [
    {
      name: `${base}/rss_slope_mb_per_100`, unit: 'MB/100 steps', value: rssSlope, peak_rss_mb: Math.max(...samples.map((s) => s.rss_mb)),
      extra: {
        ...tag, target: `RSS floor slope < ${slopeMax} MB/100 steps over steps >= ${run.steps / 2}, no tensor growth (main, workers), no wasm heap growth in the second half`,
        pass, checks, rss_floor_slope_mb_per_100: floorSlope, js_heap_slope_mb_per_100: jsHeapSlope, steps: run.steps, batch: run.batch, params: run.params, final_loss: run.final_loss, wall_s: run.wall_s, cpu_s: run.cpu_s, samples,
      },
    },
    {
      name: `${base}/num_tensors_growth`, unit: 'tensors', value: tensorGrowth,
      extra: { ...tag, first_step: first.step, first: first.num_tensors, last: last.num_tensors, worker_first: first.worker_tensors, worker_last: last.worker_tensors, worker_growth: workerGrowth },
    },
    ...(wasmGrowth === null ? [] : [{ name: `${base}/wasm_heap_growth_mb`, unit: 'MB', value: wasmGrowth, extra: { ...tag, from_step: half[0].step, first_mb: first.wasm_heap_mb, last_mb: last.wasm_heap_mb } }]),
  ];
}

function checkInt(value: unknown, what: string, min: number): number {
  if (!Number.isInteger(value) || (value as number) < min) throw new Error(`bench soak: ${what} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return value as number;
}

export async function run(opts: SoakOptions = {}): Promise<BenchResult[]> {
  const log = opts.log ?? ((m: string) => console.error(m));
  const steps = checkInt(opts.steps ?? (opts.quick ? 50 : 500), 'steps', 2);
  const every = checkInt(opts.every ?? (opts.quick ? 5 : 25), 'every', 1);
  if (steps / every < 4) throw new Error(`bench soak: steps=${steps} / every=${every} gives fewer than 4 samples; lower every`);
  const workerCounts = listOption(opts.workers ?? [0, 2], 'number', 'bench soak: workers').map((w) => checkInt(w, 'workers[]', 0));
  const slopeMax = opts.rss_slope_max ?? RSS_SLOPE_MAX;
  if (!(slopeMax > 0)) throw new Error(`bench soak: rss_slope_max must be a number > 0, got ${JSON.stringify(opts.rss_slope_max)}`);
  const config = opts.config ?? 'sudoku-tiny';
  await loadBenchConfig(config); // a bad name fails here, before any child starts
  const results: BenchResult[] = [];
  for (const workers of workerCounts) {
    const params: ChildParams = { config, workers, steps, every, backend: opts.backend ?? 'wasm' };
    try {
      const soakRun = await runChildStreaming<SoakRun>(fileURLToPath(import.meta.url), params, `bench soak w${workers}`, log, (l) => l.startsWith('  w'), ['--expose-gc']);
      results.push(...growthRows(soakRun, slopeMax));
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      log(`soak w${workers}: FAILED (${error})`);
      results.push({ name: `soak/w${workers}/rss_slope_mb_per_100`, unit: 'MB/100 steps', value: Number.NaN, extra: { workers, error, pass: false } });
    }
  }
  return results;
}

/** The summary table of a soak run (the runner writes it next to the JSON). */
export function markdown(results: BenchResult[]): string {
  const rows = results.filter((r) => r.name.endsWith('/rss_slope_mb_per_100')).map((r) => {
    const x = r.extra as Record<string, unknown> & { workers: number };
    if (x.error) return [String(x.workers), `FAILED: ${String(x.error).replace(/\|/g, '/')}`, '', '', '', '', '', '', '', ''];
    const samples = x.samples as Sample[];
    const first = samples[0];
    const last = samples.at(-1)!;
    const tensors = (s: Sample) => `${s.num_tensors}${s.worker_tensors ? ` (workers ${s.worker_tensors.join('/')})` : ''}`;
    const wasm = first.wasm_heap_mb === null ? 'n/a' : `${first.wasm_heap_mb} -> ${last.wasm_heap_mb}`;
    return [
      x.workers === 0 ? '0 (in-thread)' : String(x.workers), String(x.steps), `${first.rss_mb.toFixed(0)} -> ${last.rss_mb.toFixed(0)}`,
      `${r.value.toFixed(2)} / ${(x.rss_floor_slope_mb_per_100 as number).toFixed(2)}`, (x.js_heap_slope_mb_per_100 as number).toFixed(2), `${tensors(first)} -> ${tensors(last)}`, wasm,
      ((1000 * (x.wall_s as number)) / (x.steps as number)).toFixed(1), (x.final_loss as number).toFixed(4), x.pass ? 'pass' : 'FAIL',
    ];
  });
  const target = results.find((r) => r.extra?.target)?.extra?.target;
  return [
    '# Memory soak (bench suite `soak`)', '',
    markdownTable(['workers', 'steps', 'RSS MB first -> last', 'RSS slope MB/100 steps (2nd half): raw / floor', 'JS heap slope', 'tensors first -> last', 'wasm heap MB', 'ms/step', 'final loss', 'result'], rows), '',
    'Samples after a forced GC of the main thread and of every worker. "first" = the first sample (after the warm-up allocations); ' +
      `floor = each sample's minimum with all later ones. Pass: ${String(target ?? 'see bench/README.md')}.`,
  ].join('\n');
}
