// Benchmark suite `data-maze`: the Maze build. Three cases, each in a child process of its own so that its
// peak RSS (getrusage maxRSS) is the case's own:
//  - generator: N 30x30 "hard" mazes (shortest path >= 110 cells) from the default carve generator, with
//    its acceptance rate (mazes / attempts) and mean path length; the same with unique_path;
//  - build generated: fetch (generator, N train mazes) -> augment x 8 dihedral -> encode every example;
//  - build real: fetch the real Maze-Hard CSVs (1000 train + 1000 test) -> augment (train x 8) -> encode.
// Arrow writing is the pipeline's and is not included.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchResult, localSourceIO, runChildReport } from '../common.ts';


export interface MazeBenchOptions {
  /** number of generated mazes (default 1000; 200 with --quick) */
  mazes?: number;
  quick?: boolean;
  log?: (message: string) => void;
}

type Case = 'generator' | 'generator-unique' | 'build-generated' | 'build-real';

interface ChildParams {
  case: Case;
  mazes: number;
}

interface ChildReport {
  mazes: number;
  examples: number;
  attempts: number;
  mean_path_length: number;
  fetch_s: number;
  augment_s: number;
  encode_s: number;
  total_s: number;
  /** user + system CPU time of the child: less sensitive than wall time to other work on the machine */
  cpu_s: number;
  max_rss_kb: number;
}

const SELF = fileURLToPath(import.meta.url);
const SHARED = fileURLToPath(new URL('../../../shared/data/maze', import.meta.url));
const HARD = { rows: 30, cols: 30, min_path_length: 110 };

function runChild(params: ChildParams): ChildReport {
  return runChildReport<ChildReport>(SELF, params, `data-maze ${params.case}`);
}

export async function run(opts: MazeBenchOptions = {}): Promise<BenchResult[]> {
  const mazes = Number(opts.mazes ?? (opts.quick ? 200 : 1000));
  const results: BenchResult[] = [];
  opts.log?.(`data-maze: generating ${mazes} 30x30 mazes with paths >= 110 cells`);
  const g = runChild({ case: 'generator', mazes });
  results.push(
    { name: 'data-maze/generator', unit: 'mazes/s', value: g.mazes / g.total_s, peak_rss_mb: g.max_rss_kb / 1024, extra: { ...g, ...HARD } },
    { name: 'data-maze/generator per CPU second', unit: 'mazes/cpu-s', value: g.mazes / g.cpu_s, peak_rss_mb: g.max_rss_kb / 1024 },
    { name: 'data-maze/generator acceptance', unit: 'mazes/attempt', value: g.mazes / g.attempts, extra: { attempts: g.attempts, mazes: g.mazes } },
  );
  opts.log?.(`data-maze: generating ${mazes} 30x30 mazes with a unique shortest path >= 110 cells`);
  const u = runChild({ case: 'generator-unique', mazes });
  results.push(
    { name: 'data-maze/generator unique_path', unit: 'mazes/s', value: u.mazes / u.total_s, peak_rss_mb: u.max_rss_kb / 1024, extra: { ...u, ...HARD, unique_path: true } },
    { name: 'data-maze/generator unique_path acceptance', unit: 'mazes/attempt', value: u.mazes / u.attempts },
  );
  opts.log?.(`data-maze: build of ${mazes} generated mazes x 8 dihedral`);
  const b = runChild({ case: 'build-generated', mazes });
  results.push(
    { name: 'data-maze/build generated x8 time', unit: 's', value: b.total_s, peak_rss_mb: b.max_rss_kb / 1024, extra: { ...b } },
    { name: 'data-maze/augment+encode', unit: 'examples/s', value: b.examples / (b.augment_s + b.encode_s), peak_rss_mb: b.max_rss_kb / 1024 },
    { name: 'data-maze/build generated x8 per CPU second', unit: 'examples/cpu-s', value: b.examples / b.cpu_s, peak_rss_mb: b.max_rss_kb / 1024 },
  );
  if (existsSync(join(SHARED, 'maze-hard-train.csv'))) {
    opts.log?.('data-maze: build of the real Maze-Hard CSVs (1000 + 1000, train x 8 dihedral)');
    const r = runChild({ case: 'build-real', mazes: 0 });
    results.push({ name: 'data-maze/build real Maze-Hard time', unit: 's', value: r.total_s, peak_rss_mb: r.max_rss_kb / 1024, extra: { ...r } });
  }
  return results;
}

async function child(params: ChildParams): Promise<ChildReport> {
  const { maze, generateMaze, generatorOptions } = await import('@trm/maze');
  const { deriveSeed } = await import('@trm/augment');
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const report = { mazes: 0, examples: 0, attempts: 0, mean_path_length: 0, fetch_s: 0, augment_s: 0, encode_s: 0 };
  if (params.case === 'generator' || params.case === 'generator-unique') {
    const opts = generatorOptions({ ...HARD, unique_path: params.case === 'generator-unique' });
    let length = 0;
    for (let i = 0; i < params.mazes; i++) {
      const m = generateMaze(opts, deriveSeed(0, 'maze', 'train', i));
      report.attempts += m.attempts;
      length += m.pathLength;
    }
    report.mazes = params.mazes;
    report.mean_path_length = length / params.mazes;
    report.fetch_s = (performance.now() - t0) / 1000;
  } else {
    const cfg = params.case === 'build-generated'
      ? { source: 'generator', ...HARD, train_count: params.mazes, test_count: 0, seed: 0 }
      : { source: 'csv', train_path: join(SHARED, 'maze-hard-train.csv'), test_path: join(SHARED, 'maze-hard-test.csv') };
    const puzzles = await maze.fetch(cfg, localSourceIO('data-maze'));
    report.mazes = puzzles.length;
    const t1 = performance.now();
    report.fetch_s = (t1 - t0) / 1000;
    let encodeMs = 0;
    let checksum = 0;
    for (const split of ['train', 'test'] as const) {
      for (const group of maze.augment(puzzles, { dihedral: true }, 0, split)) {
        const e0 = performance.now();
        for (const p of group) {
          for (const ex of p.examples) {
            const enc = maze.encode(ex, { rows: 30, cols: 30 });
            checksum = (checksum + enc.inputs[0] + enc.labels[899]) | 0; // keep the work observable
            report.examples++;
          }
        }
        encodeMs += performance.now() - e0;
      }
    }
    if (checksum < 0) throw new Error('unreachable');
    report.encode_s = encodeMs / 1000;
    report.augment_s = (performance.now() - t1 - encodeMs) / 1000;
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    ...report,
    total_s: (performance.now() - t0) / 1000,
    cpu_s: (cpu.user + cpu.system) / 1e6,
    max_rss_kb: process.resourceUsage().maxRSS,
  };
}

if (process.argv[2] === '--child') {
  child(JSON.parse(process.argv[3]) as ChildParams).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (e) => {
      process.stderr.write(`${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
