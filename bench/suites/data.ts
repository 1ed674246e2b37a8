// Benchmark suite `data`: the Sudoku data path on 1000 generated 9x9 puzzles x 1000 augmentations (~1M examples,
// the reference recipe's size). Every measured case runs in a child process of its own, so its peak RSS
// (getrusage maxRSS) is the case's own and not the runner's. Cases:
//   generator      puzzles/s of the built-in generator (min_rating 0, unique solution, distinct up to symmetry)
//   bulk           augmentEncodeArrays: augment + encode straight into Uint8Arrays, with the transform texts
//   bulk-bare      the same without transform strings
//   contract       the DatasetLib path the pipeline drives: sudoku.augment() groups + sudoku.encode() per example,
//                  copied into preallocated Uint8Arrays
//   arrow          the contract path + the pipeline's ArrowFileWriter (encode table), when apps/pipeline has it
// The reference builder (build_sudoku_dataset.py) takes ~146 s for 1M examples: ~6,900 examples/s.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { RawPuzzle } from '@trm/dataset';
import { type BenchResult } from '../common.ts';


export interface DataBenchOptions {
  /** generated puzzles (default 1000; 100 with quick) */
  puzzles?: number;
  /** augmentations per puzzle (default 1000; 100 with quick) */
  numAug?: number;
  quick?: boolean;
  log?: (message: string) => void;
}

/** examples/s of the reference builder for 1000 puzzles x 1000 augmentations (146 s for 1M examples) */
export const REFERENCE_EXAMPLES_PER_S = 6900;

type CaseName = 'generator' | 'generator-6x6' | 'bulk' | 'bulk-bare' | 'contract' | 'arrow';

interface ChildParams {
  case: CaseName;
  puzzles: number;
  numAug: number;
  /** JSON file with the generated puzzles (written by the generator case, read by the others) */
  puzzleFile: string;
  arrowFile: string;
}

interface ChildReport {
  count: number;
  seconds: number;
  cpu_s: number;
  max_rss_kb: number;
  rss_before_mb: number;
  extra: Record<string, unknown>;
}

const SELF = fileURLToPath(import.meta.url);
const ARROW_WRITER = fileURLToPath(new URL('../../apps/pipeline/src/artifacts/arrow-table.ts', import.meta.url));

function runChild(params: ChildParams): ChildReport {
  const child = spawnSync(process.execPath, ['--import', 'tsx', SELF, '--child', JSON.stringify(params)], { encoding: 'utf8', maxBuffer: 1 << 22 });
  if (child.status !== 0) throw new Error(`data/${params.case}: child failed (status ${child.status}): ${child.stderr.slice(-3000)}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as ChildReport;
}

export async function run(opts: DataBenchOptions = {}): Promise<BenchResult[]> {
  const puzzles = opts.puzzles ?? (opts.quick ? 100 : 1000);
  const numAug = opts.numAug ?? (opts.quick ? 100 : 1000);
  const dir = mkdtempSync(join(os.tmpdir(), 'trm-bench-data-'));
  const base = { puzzles, numAug, puzzleFile: join(dir, 'puzzles.json'), arrowFile: join(dir, 'encode.arrow') };
  const results: BenchResult[] = [];
  const mb = (kb: number): number => Math.round(kb / 102.4) / 10;
  try {
    const cases: CaseName[] = ['generator', 'generator-6x6', 'bulk', 'bulk-bare', 'contract'];
    if (existsSync(ARROW_WRITER)) cases.push('arrow');
    else opts.log?.(`no ${ARROW_WRITER}: skipping the Arrow case`);
    for (const name of cases) {
      opts.log?.(`case ${name}: ${name.startsWith('generator') ? `${puzzles} puzzles` : `${puzzles} puzzles x (1 + ${numAug}) examples`} in a child process`);
      const r = runChild({ ...base, case: name });
      // per CPU second too: wall time is inflated when other work shares the machine's cores
      const common = { seconds: round(r.seconds), cpu_s: round(r.cpu_s), per_cpu_s: Math.round(r.count / r.cpu_s), rss_before_work_mb: r.rss_before_mb, ...r.extra };
      if (name.startsWith('generator')) {
        const size = name === 'generator' ? '9x9' : '6x6';
        results.push({ name: `sudoku/generator ${size} (min_rating 0, distinct up to symmetry)`, unit: 'puzzles/s', value: r.count / r.seconds, peak_rss_mb: mb(r.max_rss_kb), extra: { puzzles: r.count, ...common } });
      } else {
        const labels: Record<string, string> = {
          bulk: 'augment+encode, bulk typed arrays + transform text (Arrow Utf8 layout)',
          'bulk-bare': 'augment+encode, bulk typed arrays only',
          contract: 'augment+encode, DatasetLib path (augment groups + encode per example)',
          arrow: 'augment+encode+write Arrow, DatasetLib path + pipeline ArrowFileWriter',
        };
        const label = labels[name];
        const value = r.count / r.seconds;
        results.push({
          name: `sudoku/${label} (9x9)`, unit: 'examples/s', value, peak_rss_mb: mb(r.max_rss_kb),
          extra: { examples: r.count, puzzles, num_aug: numAug, ...common, reference_examples_per_s: REFERENCE_EXAMPLES_PER_S, speedup_vs_reference: round(value / REFERENCE_EXAMPLES_PER_S) },
        });
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

// ---- child side ----------------------------------------------------------------------------------------------

async function child(params: ChildParams): Promise<ChildReport> {
  const lib = await import('@trm/sudoku');
  const rssBefore = Math.round(process.memoryUsage().rss / 2 ** 20);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let count = 0;
  const extra: Record<string, unknown> = {};
  const io = { log: () => {} } as never;

  if (params.case === 'generator' || params.case === 'generator-6x6') {
    const size = params.case === 'generator' ? 9 : 6;
    const puzzles = await lib.sudoku.fetch({ source: 'generator', size, train_size: params.puzzles, test_size: 0, min_rating: 0, seed: 0 }, io);
    count = puzzles.length;
    extra.mean_rating = round(puzzles.reduce((a, p) => a + (p.rating ?? 0), 0) / count);
    extra.mean_givens = round(puzzles.reduce((a, p) => a + p.examples[0].input.cells.filter((v) => v !== 0).length, 0) / count);
    if (size === 9) writeFileSync(params.puzzleFile, JSON.stringify(puzzles.map((p) => [Array.from(p.examples[0].input.cells).join(''), Array.from(p.examples[0].output!.cells).join('')])));
    return finish(count, t0, cpu0, rssBefore, extra);
  }

  // augment cases: load the generated puzzles (untimed)
  const pairs = JSON.parse(readFileSync(params.puzzleFile, 'utf8')) as [string, string][];
  const cells = (s: string): Uint8Array => Uint8Array.from(s, (ch) => ch.charCodeAt(0) - 48);
  const puzzles: RawPuzzle[] = pairs.map(([q, a], i) => ({
    id: `train-${i}`, split: 'train', examples: [{ input: { rows: 9, cols: 9, cells: cells(q) }, output: { rows: 9, cols: 9, cells: cells(a) }, role: 'test' }],
  }));
  const spec = lib.boardSpec(9);
  const rss0 = Math.round(process.memoryUsage().rss / 2 ** 20);
  const cpu1 = process.cpuUsage();
  const t1 = performance.now();
  const augCfg = { num_aug: params.numAug };
  const encCfg = { size: 9 };
  if (params.case === 'bulk' || params.case === 'bulk-bare') {
    const out = lib.augmentEncodeArrays(puzzles, spec, { numAug: params.numAug, transpose: true }, 0, 'train', params.case === 'bulk');
    count = out.groupIndex.length;
    extra.checksum = checksum(out.inputs) ^ checksum(out.labels);
  } else if (params.case === 'contract') {
    const total = puzzles.length * (1 + params.numAug);
    const inputs = new Uint8Array(total * 81);
    const labels = new Uint8Array(total * 81);
    const transformChars = { n: 0 };
    for (const group of lib.sudoku.augment(puzzles, augCfg, 0, 'train')) {
      for (const aug of group) {
        const enc = lib.sudoku.encode(aug.examples[0], encCfg);
        const o = count * 81;
        for (let i = 0; i < 81; i++) { inputs[o + i] = enc.inputs[i]; labels[o + i] = enc.labels[i]; }
        transformChars.n += aug.transform.length;
        count++;
      }
    }
    extra.checksum = checksum(inputs) ^ checksum(labels);
    extra.transform_chars = transformChars.n;
  } else {
    const { ArrowFileWriter } = (await import(pathToFileURL(ARROW_WRITER).href)) as typeof import('../../apps/pipeline/src/artifacts/arrow-table.ts');
    const columns = [
      { name: 'inputs', kind: { fixedU8: 81 } }, { name: 'labels', kind: { fixedU8: 81 } },
      { name: 'puzzle_identifier', kind: 'int32' }, { name: 'puzzle_index', kind: 'int32' }, { name: 'group_index', kind: 'int32' },
    ] as const;
    const writer = new ArrowFileWriter(params.arrowFile, columns);
    let batch: Record<string, Uint8Array | number>[] = [];
    for (const group of lib.sudoku.augment(puzzles, augCfg, 0, 'train')) {
      for (const aug of group) {
        const enc = lib.sudoku.encode(aug.examples[0], encCfg);
        batch.push({ inputs: enc.inputs, labels: enc.labels, puzzle_identifier: 0, puzzle_index: count, group_index: aug.group });
        count++;
        if (batch.length === 4096) { await writer.write(batch); batch = []; }
      }
    }
    await writer.write(batch);
    await writer.close();
    extra.arrow_mb = Math.round(statSync(params.arrowFile).size / 2 ** 20);
  }
  extra.rss_after_load_mb = rss0;
  return finish(count, t1, cpu1, rssBefore, extra);
}

function checksum(a: Uint8Array): number {
  let h = 0;
  for (let i = 0; i < a.length; i++) h = (Math.imul(h, 31) + a[i]) | 0;
  return h;
}

function finish(count: number, t0: number, cpu0: NodeJS.CpuUsage, rssBefore: number, extra: Record<string, unknown>): ChildReport {
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { count, seconds, cpu_s: (cpu.user + cpu.system) / 1e6, max_rss_kb: process.resourceUsage().maxRSS, rss_before_mb: rssBefore, extra };
}

if (process.argv[2] === '--child' && process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  child(JSON.parse(process.argv[3]) as ChildParams).then(
    (report) => process.stdout.write(`${JSON.stringify(report)}\n`),
    (err: unknown) => { process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`); process.exitCode = 1; },
  );
}
