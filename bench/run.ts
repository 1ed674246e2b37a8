// Benchmark runner: `npm run bench -- --suite <name>[,<name>] [--set key=value ...] [--quick] [--out DIR]`
//
// `--exact` runs only the named suites (no data-* with data); `--quick` asks suites for a small smoke run;
// `--out DIR` writes the results there instead of bench/results (smoke runs).
// Loads bench/suites/<name>.ts (a suite exports `run(opts): Promise<BenchResult[]>`, and optionally
// `markdown(results): string`, a summary printed at the end and written to <name>.md) and writes
// <out>/<name>.json with the machine it ran on. Without --suite every suite runs. `--suite data` also runs
// every bench/suites/data-*.ts (each written to its own results file). Suites measure peak RSS in child processes
// of their own, so that the runner's memory does not pollute it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BenchResult } from './common.ts';
export type { BenchResult } from './common.ts';


/** Options every suite receives: `log`, `quick` and the `--set` values (JSON-parsed where possible). */
export interface SuiteOptions {
  log: (message: string) => void;
  quick: boolean;
  [key: string]: unknown;
}

interface Suite {
  run(opts: SuiteOptions): Promise<BenchResult[]>;
  markdown?(results: BenchResult[]): string;
}

const BENCH_DIR = fileURLToPath(new URL('.', import.meta.url));
const SUITES_DIR = join(BENCH_DIR, 'suites');
const RESULTS_DIR = join(BENCH_DIR, 'results');

export function machineInfo(): Record<string, unknown> {
  const cpus = os.cpus();
  let git: string | null = null;
  try {
    git = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: BENCH_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    git = null;
  }
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    total_mem_gb: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    // 1/5/15-minute load averages when the run started: with more runnable work than cores, wall-clock rates drop
    load_avg: os.loadavg().map((x) => Math.round(x * 100) / 100),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    git,
  };
}

/** Suite file names (without .ts) that a `--suite` list selects; `data` pulls in `data-*`. */
export function selectSuites(requested: string[] | null, available: string[], exact = false): string[] {
  const known = new Set(available);
  if (!requested) return available.filter((s) => !s.startsWith('data-') || !known.has('data'));
  const out: string[] = [];
  for (const name of requested) {
    if (!known.has(name)) throw new Error(`bench: no suite "${name}" (bench/suites has: ${available.join(', ')})`);
    out.push(name);
    if (name === 'data' && !exact) out.push(...available.filter((s) => s.startsWith('data-')));
  }
  return [...new Set(out)];
}

function parseArgs(argv: string[]): { suites: string[] | null; quick: boolean; exact: boolean; out: string; set: Record<string, unknown> } {
  let suites: string[] | null = null;
  let out = RESULTS_DIR;
  let quick = false;
  let exact = false;
  const set: Record<string, unknown> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--suite' || arg.startsWith('--suite=')) {
      const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[++i];
      if (!value) throw new Error('bench: --suite needs a name (e.g. --suite data,train)');
      suites = value.split(',').map((s) => s.trim()).filter(Boolean);
    } else if (arg === '--quick') {
      quick = true;
    } else if (arg === '--exact') {
      exact = true;
    } else if (arg === '--out') {
      out = argv[++i] ?? '';
      if (!out) throw new Error('bench: --out needs a folder (e.g. --out /tmp/bench)');
    } else if (arg === '--set') {
      const kv = argv[++i] ?? '';
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new Error(`bench: --set expects key=value, got "${kv}"`);
      const raw = kv.slice(eq + 1);
      let value: unknown = raw;
      try { value = JSON.parse(raw); } catch { value = raw; }
      set[kv.slice(0, eq)] = value;
    } else {
      throw new Error(`bench: unknown argument "${arg}" (usage: --suite <name>[,<name>] [--exact] [--set key=value] [--quick] [--out DIR])`);
    }
  }
  return { suites, quick, exact, out, set };
}

async function main(): Promise<void> {
  const { suites: requested, quick, exact, out, set } = parseArgs(process.argv.slice(2));
  const available = readdirSync(SUITES_DIR).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.includes('.tmp.')).map((f) => f.slice(0, -3)).sort();
  const names = selectSuites(requested, available, exact);
  mkdirSync(out, { recursive: true });
  const machine = machineInfo();
  for (const name of names) {
    const log = (m: string): void => { process.stderr.write(`[${name}] ${m}\n`); };
    const suite = (await import(pathToFileURL(join(SUITES_DIR, `${name}.ts`)).href)) as Suite;
    if (typeof suite.run !== 'function') throw new Error(`bench: bench/suites/${name}.ts does not export run(opts)`);
    const started = new Date();
    const t0 = performance.now();
    const results = await suite.run({ ...set, log, quick });
    const doc = { suite: name, date: started.toISOString(), wall_s: (performance.now() - t0) / 1000, quick, options: set, machine, results };
    const file = join(out, `${name}.json`);
    writeAtomic(file, `${JSON.stringify(doc, null, 2)}\n`);
    for (const r of results) {
      log(`${r.name}: ${formatNumber(r.value)} ${r.unit}${r.peak_rss_mb !== undefined ? ` (peak RSS ${Math.round(r.peak_rss_mb)} MB)` : ''}`);
    }
    log(`wrote ${file}`);
    if (suite.markdown) {
      const md = `${suite.markdown(results)}\n\nRun ${doc.date}, ${doc.wall_s.toFixed(0)} s, load average ${(machine.load_avg as number[]).join(' ')} at start, git ${String(machine.git)}.\n`;
      writeAtomic(join(out, `${name}.md`), md);
      process.stdout.write(`\n${md}`);
      log(`wrote ${join(out, `${name}.md`)}`);
    }
  }
}

function writeAtomic(file: string, text: string): void {
  writeFileSync(`${file}.tmp`, text);
  renameSync(`${file}.tmp`, file);
}

function formatNumber(v: number): string {
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toPrecision(3);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
