// Params diff and metrics diff between two runs (in the manner of `dvc params diff` / `dvc metrics diff`).
import type { EvalMetrics } from './types.ts';

/** Dotted keys of every leaf of a JSON value; arrays are leaves (compared as JSON). */
export function flatten(obj: Record<string, unknown>, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const key of Object.keys(obj).sort()) {
    const v = obj[key];
    const path = prefix ? `${prefix}.${key}` : key;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, w] of flatten(v as Record<string, unknown>, path)) out.set(k, w);
    } else {
      out.set(path, v);
    }
  }
  return out;
}

export interface ParamChange { key: string; old: unknown; new: unknown }

/** Keys whose value differs (absent on one side counts as a difference), sorted by key. */
export function paramsDiff(oldCfg: Record<string, unknown>, newCfg: Record<string, unknown>): ParamChange[] {
  const a = flatten(oldCfg);
  const b = flatten(newCfg);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  return keys
    .filter((k) => JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k)))
    .map((k) => ({ key: k, old: a.get(k), new: b.get(k) }));
}

export interface MetricChange { metric: string; old: number | null; new: number | null; change: number | null }

/** Every metric of either side with its change (new - old); unchanged metrics are kept, as dvc does with --all. */
export function metricsDiff(oldM: Record<string, number>, newM: Record<string, number>): MetricChange[] {
  const keys = [...new Set([...Object.keys(newM), ...Object.keys(oldM)])];
  return keys.map((k) => {
    const o = k in oldM ? oldM[k] : null;
    const n = k in newM ? newM[k] : null;
    return { metric: k, old: o, new: n, change: o !== null && n !== null ? n - o : null };
  });
}

/** The scalar metrics of an evaluation, headline metrics first, then the task metrics. */
export function scalarMetrics(m: EvalMetrics): Record<string, number> {
  const out: Record<string, number> = {
    exact_accuracy: m.exact_accuracy,
    token_accuracy: m.token_accuracy,
    q_halt_accuracy: m.q_halt_accuracy,
    mean_steps: m.mean_steps,
  };
  for (const [k, v] of Object.entries(m.task)) out[k] = v;
  return out;
}
