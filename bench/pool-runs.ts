// Pool several `train` suite results (bench/results/train-runs/*.json) into one median per config and worker count:
// every timed step of every round of every run, and the 2-worker speed-up of those medians beside each run's own.
// Usage: node --import tsx bench/pool-runs.ts bench/results/train-runs/s4-*.json
import { readFileSync } from 'node:fs';
import { type BenchResult, markdownTable, median } from './common.ts';

const files = process.argv.slice(2);
if (files.length === 0) throw new Error('usage: node --import tsx bench/pool-runs.ts <train results JSON>...');
const runs = files.map((file) => {
  let parsed: { results?: BenchResult[] };
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: not a bench results JSON file (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!Array.isArray(parsed.results)) throw new Error(`${file}: no "results" array (not a bench results file)`);
  return new Map(parsed.results.map((r) => [r.name, r]));
});
const stepsOf = (id: string, workers: number): number[] =>
  runs.flatMap((run) => (run.get(`train/${id}/w${workers}/samples_per_s`)?.extra?.step_ms as number[] | undefined) ?? []);
const ids = [...new Set(runs.flatMap((run) => [...run.keys()].map((name) => /^train\/([^/]+)\/w1\/samples_per_s$/.exec(name)?.[1]).filter((x): x is string => !!x)))];
const rows = ids.map((id) => {
  const [one, two] = [stepsOf(id, 1), stepsOf(id, 2)];
  const perRun = runs.map((run) => run.get(`train/${id}/speedup_w2`)?.value.toFixed(2) ?? 'n/a').join(' / ');
  const pooled = one.length && two.length ? (median(one) / median(two)).toFixed(3) : 'n/a';
  return [id, `${one.length} / ${two.length}`, one.length ? (median(one) / 1000).toFixed(3) : 'n/a', two.length ? (median(two) / 1000).toFixed(3) : 'n/a', pooled, perRun];
});
console.log(markdownTable(['config', 'timed steps 1 / 2 workers', '1 worker s/step', '2 workers s/step', 'pooled speed-up', 'per run'], rows));
