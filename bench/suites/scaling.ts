// Benchmark suite `scaling`: how well data parallelism over worker threads uses the cores.
//   scaling/matmul/*          aggregate float32 matmul GFLOP/s of 1 and 2 workers multiplying at the same time
//   scaling/<id>/samples_per_s_w<N>, scaling/<id>/speedup
//                             full training steps (createParallelTrainer) for peer.json configs a, b, d, e with
//                             1 and 2 workers (target: 2 workers >= 1.8x one worker), with peak RSS
// Every training measurement runs in its own Node process (RSS of a fresh process; worker threads count in it).
// `extra.cpu_s_step` is the CPU time of the whole process (all threads) per step: on a busy machine, where wall
// times say little, equal CPU per step for 1 and 2 workers shows that the split adds no work.
// Options (`--set`): configs=["a","b"], workers=[1,2], steps=2 (timed, median), warmup=1, backend=wasm,
// matmul_n=512, matmul_reps=20, batch=<override of the peer batch, for smoke runs>. `--quick`: config b only,
// 1 timed step.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { initBackend, type BackendName } from '@trm/tensor-core';
import { createParallelTrainer, matmulThroughput, type ArchConfig, type DataParallelModel } from '@trm/trm';
import { benchTrainConfig, syntheticSplit, trainStepFlops } from './train.ts';
import { type BenchResult, median, rssMb } from '../common.ts';


export interface ScalingOptions {
  log?: (message: string) => void;
  quick?: boolean;
  configs?: string[];
  workers?: number[];
  steps?: number;
  warmup?: number;
  backend?: BackendName;
  matmul_n?: number;
  matmul_reps?: number;
  /** global batch instead of the peer config's (smoke runs; the results then do not compare with peer.json) */
  batch?: number;
}

interface PeerRow {
  config: string;
  name: string;
  threads: number;
  cfg: Omit<ArchConfig, 'rope_theta' | 'rms_norm_eps' | 'no_ACT_continue'> & { batch_size: number };
  samples_per_s: number;
}

const PEER_PATH = fileURLToPath(new URL('../../../shared/bench/peer.json', import.meta.url));
const CHILD_FLAG = '--scaling-bench-child';
const TARGET_SPEEDUP_2W = 1.8;

function peerRows(id: string): { arch: ArchConfig; batch: number; name: string; peer1: number | null; peer2: number | null } {
  const rows = (JSON.parse(readFileSync(PEER_PATH, 'utf8')) as { rows: PeerRow[] }).rows.filter((r) => r.config === id);
  if (rows.length === 0) throw new Error(`bench scaling: config "${id}" is not in ${PEER_PATH}`);
  const { batch_size, ...cfg } = rows[0].cfg;
  const arch: ArchConfig = { ...cfg, rope_theta: 10000, rms_norm_eps: 1e-5, no_ACT_continue: true };
  const peer = (t: number) => rows.find((r) => r.threads === t)?.samples_per_s ?? null;
  return { arch, batch: batch_size, name: rows[0].name, peer1: peer(1), peer2: peer(2) };
}

/** Child side: time training steps of config `id` with `workers` workers. */
async function measure(id: string, workers: number, steps: number, warmup: number, backend: BackendName | undefined, batchOverride: number, log: (m: string) => void): Promise<BenchResult> {
  const info = await initBackend(backend);
  const { arch, batch: peerBatch } = peerRows(id);
  const batch = batchOverride > 0 ? batchOverride : peerBatch;
  const train = benchTrainConfig(batch);
  const t0 = performance.now();
  const trainer = await createParallelTrainer({ arch, train, data: syntheticSplit(arch, 4 * batch), seed: 0, workers, backend: info.name as BackendName });
  const startMs = performance.now() - t0;
  const model = trainer.model as DataParallelModel;
  let peak = rssMb();
  const times: number[] = [];
  const overheads: number[] = [];
  const cpuSeconds: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const c0 = process.cpuUsage();
    const s0 = performance.now();
    trainer.step();
    const ms = performance.now() - s0;
    const cpu = process.cpuUsage(c0);
    peak = Math.max(peak, rssMb());
    // everything but the slowest worker's model time: dispatch, weight and gradient copies, optimizer, EMA
    const overhead = ms - Math.max(...model.lastTimings!.computeMs);
    if (i >= warmup) {
      times.push(ms);
      overheads.push(overhead);
      cpuSeconds.push((cpu.user + cpu.system) / 1e6);
    }
    const workerMs = model.lastTimings!.computeMs.map((t) => t.toFixed(0)).join('/');
    log(`  ${id} w${workers} ${i < warmup ? 'warm-up' : 'step'} ${ms.toFixed(0)} ms (workers ${workerMs} ms, process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s)`);
  }
  trainer.dispose();
  const ms = median(times);
  return {
    name: `scaling/${id}/samples_per_s_w${workers}`,
    unit: 'samples/s',
    value: batch / (ms / 1000),
    peak_rss_mb: peak,
    extra: { config: id, workers, backend: info.name, batch, ms_step: ms, step_ms: times, overhead_ms: median(overheads), cpu_s_step: median(cpuSeconds), start_ms: startMs, gflops: trainStepFlops(arch, batch) / 1e9 / (ms / 1000) },
  };
}

function runChild(id: string, workers: number, steps: number, warmup: number, backend: string, batch: number, log: (m: string) => void): Promise<BenchResult> {
  const args = ['--import', 'tsx', fileURLToPath(import.meta.url), CHILD_FLAG, id, String(workers), String(steps), String(warmup), backend, String(batch)];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderrTail = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    const text = d.toString();
    stderrTail = (stderrTail + text).slice(-2000);
    for (const line of text.split('\n')) if (line.startsWith('  ')) log(line);
  });
  return new Promise((resolve) =>
    child.on('close', (code) => {
      const marker = stdout.lastIndexOf('\n@@RESULT ');
      if (code === 0 && marker >= 0) return resolve(JSON.parse(stdout.slice(marker + '\n@@RESULT '.length)) as BenchResult);
      const error = stderrTail.split('\n').filter((l) => /Error|Abort|heap/i.test(l)).slice(-3).join(' | ') || `exit code ${code}`;
      log(`scaling ${id} w${workers}: FAILED (${error})`);
      resolve({ name: `scaling/${id}/samples_per_s_w${workers}`, unit: 'samples/s', value: Number.NaN, extra: { config: id, workers, error } });
    }),
  );
}

export async function run(opts: ScalingOptions = {}): Promise<BenchResult[]> {
  const log = opts.log ?? ((m: string) => console.error(m));
  const configs = opts.configs ?? (opts.quick ? ['b'] : ['a', 'b', 'd', 'e']);
  const workerCounts = opts.workers ?? [1, 2];
  const steps = Math.max(1, opts.steps ?? (opts.quick ? 1 : 2));
  const warmup = Math.max(0, opts.warmup ?? 1);
  const backend = opts.backend ?? '';
  const results: BenchResult[] = [];

  const n = opts.matmul_n ?? 512;
  const reps = opts.matmul_reps ?? 20;
  const matmul = new Map<number, number>();
  for (const workers of workerCounts) {
    const m = await matmulThroughput({ workers, n, reps, backend: (backend || undefined) as BackendName | undefined });
    matmul.set(workers, m.gflops);
    log(`matmul ${n}x${n} x${reps}, ${workers} worker(s) on ${m.backend}: ${m.gflops.toFixed(1)} GFLOP/s aggregate`);
    results.push({ name: `scaling/matmul/gflops_w${workers}`, unit: 'GFLOP/s', value: m.gflops, extra: { n, reps, backend: m.backend, seconds: m.seconds } });
  }
  if (matmul.has(1) && matmul.has(2)) {
    results.push({ name: 'scaling/matmul/speedup_w2', unit: 'x', value: matmul.get(2)! / matmul.get(1)!, extra: { ideal: 2 } });
  }

  for (const id of configs) {
    const { name, peer1, peer2 } = peerRows(id);
    const byWorkers = new Map<number, BenchResult>();
    for (const workers of workerCounts) {
      const r = await runChild(id, workers, steps, warmup, backend, opts.batch ?? 0, log);
      r.extra = { ...r.extra, peer_name: name, ...(opts.batch ? { batch_override: opts.batch } : { peer_1t_samples_per_s: peer1, peer_2t_samples_per_s: peer2 }) };
      byWorkers.set(workers, r);
      results.push(r);
    }
    const one = byWorkers.get(1)?.value;
    const two = byWorkers.get(2)?.value;
    if (one !== undefined && two !== undefined) {
      results.push({ name: `scaling/${id}/speedup_w2`, unit: 'x', value: two / one, extra: { config: id, target: TARGET_SPEEDUP_2W, peer_speedup_2t: peer1 && peer2 ? peer2 / peer1 : null } });
      const cpu = (w: number) => byWorkers.get(w)?.extra?.cpu_s_step as number | undefined;
      if (cpu(1) !== undefined && cpu(2) !== undefined) {
        const note = 'process CPU seconds per step, 2 workers / 1 worker: 1.0 = the split adds no work (load-independent)';
        results.push({ name: `scaling/${id}/cpu_per_step_ratio_w2`, unit: 'x', value: cpu(2)! / cpu(1)!, extra: { config: id, note } });
      }
    }
  }
  return results;
}

if (process.argv[2] === CHILD_FLAG) {
  const [id, workers, steps, warmup, backend, batch] = process.argv.slice(3);
  const result = await measure(id, Number(workers), Number(steps), Number(warmup), (backend || undefined) as BackendName | undefined, Number(batch), (m) => console.error(m));
  process.stdout.write(`\n@@RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}
