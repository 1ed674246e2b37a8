// What the benchmark runner and its suites share.

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
