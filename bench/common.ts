// What the benchmark runner and its suites share.
import { spawn, spawnSync } from 'node:child_process';
import { createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { splitLines, type SourceIO } from '@trm/dataset';

/** One measured figure of a suite. */
export interface BenchResult {
  name: string;
  unit: string;
  value: number;
  peak_rss_mb?: number;
  extra?: Record<string, unknown>;
}

/** A `--set` list option: `value` if it is an array of `kind`, else a clear error naming the suite and option. */
export function listOption<T extends 'string' | 'number'>(value: unknown, kind: T, what: string): (T extends 'string' ? string : number)[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === kind)) {
    throw new Error(`${what}: expected a JSON array of ${kind}s (e.g. --set '${what.split(' ').pop()}=${kind === 'string' ? '["a","b"]' : '[1,2]'}'), got ${JSON.stringify(value)}`);
  }
  return value as (T extends 'string' ? string : number)[];
}

/** Median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Least-squares slope of y over x (NaN with fewer than two distinct x). */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, x) => a + x, 0) / n;
  const my = ys.reduce((a, y) => a + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : Number.NaN;
}

/** Resident set size of this process now, in MiB. */
export const rssMb = (): number => process.memoryUsage().rss / 2 ** 20;

/** Peak resident set size of this process so far (worker threads included: they share it), in MiB. */
export const maxRssMb = (): number => process.resourceUsage().maxRSS / 1024;

/** CPU seconds (user + system, all threads) since `since` (a process.cpuUsage() reading). */
export function cpuSeconds(since: NodeJS.CpuUsage): number {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1e6;
}

/** A SourceIO over local files, with no downloads and no progress output (benchmarks time the work, not the I/O UI). */
export function localSourceIO(suite: string): SourceIO {
  return {
    download: () => Promise.reject(new Error(`${suite}: no downloads`)),
    readText: async (p) => readFileSync(p, 'utf8'),
    readBytes: async (p) => new Uint8Array(readFileSync(p)),
    readLines: (p, opts) => splitLines(createReadStream(p, { highWaterMark: 1 << 20 }), p, opts),
    listDir: async (p) => readdirSync(p).sort(),
    exists: async (p) => existsSync(p),
    join: (...parts) => join(...parts),
    progress: () => ({ tick() {}, done() {} }),
    log: () => {},
  };
}

/**
 * Run `script --child <params as JSON>` in a fresh Node process (so its peak RSS is its own) and parse the JSON
 * report it prints on its last stdout line.
 */
export function runChildReport<T>(script: string, params: unknown, label: string): T {
  const child = spawnSync(process.execPath, ['--import', 'tsx', script, '--child', JSON.stringify(params)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (child.status !== 0) throw new Error(`${label}: child failed (status ${child.status}): ${child.stderr.slice(-2000)}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as T;
}

/** The line a child prints last on stdout: its JSON report after this marker. */
export const REPORT_MARKER = '@@REPORT ';

/**
 * Run `script --child <params as JSON>` in a fresh Node process and resolve with the JSON it printed after
 * REPORT_MARKER. Unlike runChildReport it does not block: stderr lines that `show` accepts are passed to `log` as
 * they come (progress of long measurements). `nodeArgs` go before the script (e.g. --expose-gc). A failure rejects
 * with the child's last error lines.
 */
export function runChildStreaming<T>(script: string, params: unknown, label: string, log: (m: string) => void, show: (line: string) => boolean, nodeArgs: string[] = []): Promise<T> {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', script, '--child', JSON.stringify(params)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderrTail = '';
  let partial = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    const text = partial + d.toString();
    stderrTail = (stderrTail + d.toString()).slice(-4000);
    const lines = text.split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (show(line)) log(line);
  });
  return new Promise((resolve, reject) =>
    child.on('close', (code, signal) => {
      const at = stdout.lastIndexOf(REPORT_MARKER);
      if (code === 0 && at >= 0) return resolve(JSON.parse(stdout.slice(at + REPORT_MARKER.length)) as T);
      const errors = stderrTail.split('\n').filter((l) => /Error|Abort|heap|memory/i.test(l)).slice(-3).join(' | ');
      reject(new Error(`${label}: child failed (${signal ? `signal ${signal}` : `exit code ${code}`})${errors ? `: ${errors}` : ''}`));
    }),
  );
}

/**
 * The child side of runChildStreaming: when this process was started as `<file of metaUrl> --child <json>`, run
 * `body` on the parsed params, print its report after REPORT_MARKER and exit (worker threads may still be winding
 * down); an error prints its stack and exits with status 1.
 */
export function runAsChild<P>(metaUrl: string, body: (params: P) => Promise<unknown>): void {
  if (process.argv[2] !== '--child' || !process.argv[1] || pathToFileURL(process.argv[1]).href !== metaUrl) return;
  body(JSON.parse(process.argv[3]) as P).then(
    (report) => process.stdout.write(`\n${REPORT_MARKER}${JSON.stringify(report)}\n`, () => process.exit(0)),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}

/** A Markdown table: header cells, then one array of cells per row. */
export function markdownTable(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}
