// Benchmark suite `data-arc`: the ARC build as the reference builds it (ARC-AGI-1 training + evaluation +
// ConceptARC from kaggle-combined, 1000 augmentations per task): fetch, then augment both splits and encode every
// example into its 900-token canvas, streaming group by group (nothing kept). Runs in a child process so that its
// peak RSS (getrusage maxRSS) is the build's own. Arrow writing is the pipeline's and is not included.
import { fileURLToPath } from 'node:url';
import { type BenchResult, localSourceIO, runChildReport } from '../common.ts';


export interface ArcBenchOptions {
  /** augmentations per task (default 1000, as the reference) */
  numAug?: number;
  /** at most this many tasks per subset (default 0 = all 960 tasks) */
  maxTasks?: number;
  log?: (message: string) => void;
}

interface ChildParams {
  numAug: number;
  maxTasks: number;
}

interface ChildReport {
  tasks: number;
  groups: number;
  puzzles: number;
  examples: number;
  fetch_s: number;
  augment_s: number;
  encode_s: number;
  total_s: number;
  /** user + system CPU time of the child: less sensitive than wall time to other work on the machine */
  cpu_s: number;
  max_rss_kb: number;
}

const SELF = fileURLToPath(import.meta.url);
const KAGGLE = fileURLToPath(new URL('../../../shared/data/arc/kaggle-combined', import.meta.url));

export async function run(opts: ArcBenchOptions = {}): Promise<BenchResult[]> {
  const params: ChildParams = { numAug: opts.numAug ?? 1000, maxTasks: opts.maxTasks ?? 0 };
  opts.log?.(`data-arc: building training+evaluation+concept x ${params.numAug} aug${params.maxTasks ? ` (<= ${params.maxTasks} tasks per subset)` : ''} in a child process`);
  const r = runChildReport<ChildReport>(SELF, params, 'data-arc');
  const peak = r.max_rss_kb / 1024;
  const extra = { ...r, num_aug: params.numAug, max_tasks: params.maxTasks, subsets: ['training', 'evaluation', 'concept'] };
  return [
    { name: 'data-arc/build examples', unit: 'examples/s', value: r.examples / r.total_s, peak_rss_mb: peak, extra },
    { name: 'data-arc/build time', unit: 's', value: r.total_s, peak_rss_mb: peak, extra: { fetch_s: r.fetch_s, augment_s: r.augment_s, encode_s: r.encode_s, cpu_s: r.cpu_s } },
    { name: 'data-arc/build examples per CPU second', unit: 'examples/cpu-s', value: r.examples / r.cpu_s, peak_rss_mb: peak },
  ];
}

async function child(params: ChildParams): Promise<ChildReport> {
  const { arc } = await import('@trm/arc');
  const io = localSourceIO('data-arc');
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const puzzles = await arc.fetch({ layout: 'kaggle', path: KAGGLE, subsets: ['training', 'evaluation', 'concept'], test_set_name: 'evaluation', max_tasks: params.maxTasks, seed: 0 }, io);
  const t1 = performance.now();
  let groups = 0;
  let copies = 0;
  let examples = 0;
  let encodeMs = 0;
  let checksum = 0;
  for (const split of ['train', 'test'] as const) {
    for (const group of arc.augment(puzzles, { num_aug: params.numAug }, 0, split)) {
      groups++;
      const e0 = performance.now();
      for (const p of group) {
        copies++;
        for (const ex of p.examples) {
          const enc = arc.encode(ex, {});
          checksum = (checksum + enc.inputs[0] + enc.labels[899]) | 0; // keep the work observable
          examples++;
        }
      }
      encodeMs += performance.now() - e0;
    }
  }
  const t2 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  if (checksum < 0) throw new Error('unreachable');
  return {
    tasks: new Set(puzzles.map((p) => p.id)).size,
    groups,
    puzzles: copies,
    examples,
    fetch_s: (t1 - t0) / 1000,
    augment_s: (t2 - t1 - encodeMs) / 1000,
    encode_s: encodeMs / 1000,
    total_s: (t2 - t0) / 1000,
    cpu_s: (cpu.user + cpu.system) / 1e6,
    max_rss_kb: process.resourceUsage().maxRSS,
  };
}

if (process.argv[2] === '--child') {
  child(JSON.parse(process.argv[3]) as ChildParams).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (e) => {
      process.stderr.write(`${(e as Error).stack}\n`);
      process.exit(1);
    },
  );
} else if (process.argv[1] === SELF) {
  // direct run: node --import tsx bench/suites/data-arc.ts [maxTasks] [numAug]
  run({ maxTasks: Number(process.argv[2] ?? 0), numAug: Number(process.argv[3] ?? 1000), log: console.log }).then((r) => console.log(JSON.stringify(r, null, 1)));
}
