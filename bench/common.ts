// What the benchmark runner and its suites share.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceIO } from '@trm/dataset';

/** One measured figure of a suite. */
export interface BenchResult {
  name: string;
  unit: string;
  value: number;
  peak_rss_mb?: number;
  extra?: Record<string, unknown>;
}

/** Median of a non-empty list. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Resident set size of this process now, in MiB. */
export const rssMb = (): number => process.memoryUsage().rss / 2 ** 20;

/** A SourceIO over local files, with no downloads and no progress output (benchmarks time the work, not the I/O UI). */
export function localSourceIO(suite: string): SourceIO {
  return {
    download: () => Promise.reject(new Error(`${suite}: no downloads`)),
    readText: async (p) => readFileSync(p, 'utf8'),
    readBytes: async (p) => new Uint8Array(readFileSync(p)),
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
