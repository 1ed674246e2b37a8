// Joining per-chunk results (worker slices or micro-batches) back into one batch, in row order.
import { reduceChunk } from '@trm/tensor-core';
import type { StepMetrics } from '../model/types.ts';

export const METRIC_KEYS: (keyof StepMetrics)[] = ['count', 'accuracy', 'exact_accuracy', 'q_halt_accuracy', 'steps', 'lm_loss', 'q_halt_loss'];

/** Metric sums over chunks (the model's metrics are sums, so chunks add up to the whole batch). */
export function sumMetrics(parts: StepMetrics[]): StepMetrics {
  return Object.fromEntries(METRIC_KEYS.map((key) => [key, parts.reduce((acc, m) => acc + m[key], 0)])) as unknown as StepMetrics;
}

/** Concatenate typed arrays in order into a new one made by `make(totalLength)`. */
export function concat<T extends Int32Array | Float32Array | Uint8Array>(parts: T[], make: (n: number) => T): T {
  const out = make(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p as never, at);
    at += p.length;
  }
  return out;
}

/** Rows [start, end) of a batch of `rows` cut into `parts` contiguous ranges whose sizes differ by at most one. */
export function rowRanges(rows: number, parts: number): [number, number][] {
  return Array.from({ length: parts }, (_, k) => reduceChunk(rows, parts, k));
}
