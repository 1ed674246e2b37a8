// Charts as vega-lite 5 specs rendered headless to SVG by vega 5.
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { EvalMetrics, TrainMetricRow } from './types.ts';

type Row = Record<string, number | string>;
type Spec = vl.TopLevelSpec;

const WIDTH = 560;
const HEIGHT = 220;
/** training curves are reduced to at most this many points (bucket means) so the SVG stays small */
export const MAX_POINTS = 400;

const baseConfig = {
  background: 'white',
  font: 'Helvetica, Arial, sans-serif',
  axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#e5e5e5' },
  legend: { orient: 'bottom', labelFontSize: 11, titleFontSize: 11 },
  title: { fontSize: 14, anchor: 'start' },
} as const;

/** Render one vega-lite spec to an SVG document. */
export async function renderChart(spec: Spec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Mean of consecutive buckets of rows (by order) so that at most `max` remain; numeric fields only. */
export function downsample<T extends Record<string, number>>(rows: T[], max: number): T[] {
  if (rows.length <= max) return rows;
  const out: T[] = [];
  const keys = Object.keys(rows[0]);
  for (let b = 0; b < max; b++) {
    const lo = Math.floor((b * rows.length) / max);
    const hi = Math.floor(((b + 1) * rows.length) / max);
    const mean: Record<string, number> = {};
    for (const k of keys) {
      let s = 0;
      for (let i = lo; i < hi; i++) s += rows[i][k];
      mean[k] = s / (hi - lo);
    }
    out.push(mean as T);
  }
  return out;
}

/** Long-format rows {x, series, value} for a multi-series line chart. */
function longRows<T extends Record<string, number>>(rows: T[], x: keyof T, series: [keyof T, string][]): Row[] {
  const out: Row[] = [];
  for (const r of rows) for (const [field, label] of series) out.push({ x: r[x], series: label, value: r[field] });
  return out;
}

function lineSpec(opts: {
  title: string; values: Row[]; xTitle: string; yTitle: string; yDomain?: [number, number]; logY?: boolean;
  points?: boolean; xInteger?: boolean;
}): Spec {
  const y: Record<string, unknown> = { field: 'value', type: 'quantitative', title: opts.yTitle };
  if (opts.logY) {
    y.scale = { type: 'log' };
    y.axis = { tickCount: 6, format: '~g' };
  }
  else if (opts.yDomain) y.scale = { domain: opts.yDomain };
  const x: Record<string, unknown> = { field: 'x', type: 'quantitative', title: opts.xTitle };
  if (opts.xInteger) {
    // few integer steps: at most one tick per step (vega's own ticks would fall between them)
    const xs = opts.values.map((v) => v.x as number);
    const span = xs.length ? Math.max(...xs) - Math.min(...xs) : 0;
    x.axis = { tickMinStep: 1, format: 'd', tickCount: Math.max(1, Math.min(8, Math.round(span))) };
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: opts.title, width: WIDTH, height: HEIGHT, config: baseConfig,
    data: { values: opts.values },
    mark: { type: 'line', point: opts.points ?? false, strokeWidth: 1.5 },
    encoding: {
      x, y,
      color: { field: 'series', type: 'nominal', title: null, legend: new Set(opts.values.map((v) => v.series)).size > 1 ? { labelLimit: 0 } : null },
    },
  } as Spec;
}

/** Rows used for the accuracy curves: only steps where at least one example halted. */
function halted(rows: TrainMetricRow[]): TrainMetricRow[] {
  return rows.filter((r) => r.count > 0);
}

type NumRow = TrainMetricRow & Record<string, number>;

export function lossSpec(rows: TrainMetricRow[]): Spec {
  const ds = downsample(rows as NumRow[], MAX_POINTS);
  const values = longRows(ds, 'step', [['loss', 'loss'], ['lm_loss', 'lm_loss'], ['q_halt_loss', 'q_halt_loss']]);
  const positive = values.every((v) => (v.value as number) > 0);
  return lineSpec({ title: 'Training loss', values, xTitle: 'training step', yTitle: 'loss (per example)', logY: positive, xInteger: true });
}

export function accuracySpec(rows: TrainMetricRow[]): Spec {
  const ds = downsample(halted(rows) as NumRow[], MAX_POINTS);
  const values = longRows(ds, 'step', [
    ['accuracy', 'token accuracy'], ['exact_accuracy', 'exact accuracy'], ['q_halt_accuracy', 'q_halt accuracy'],
  ]);
  return lineSpec({ title: 'Training accuracy (examples halted at each step)', values, xTitle: 'training step', yTitle: 'accuracy', yDomain: [0, 1], xInteger: true });
}

export function haltStepsSpec(rows: TrainMetricRow[]): Spec {
  const ds = downsample(halted(rows) as NumRow[], MAX_POINTS);
  const values = longRows(ds, 'step', [['steps', 'mean supervision steps at halt']]);
  return lineSpec({ title: 'Training: supervision steps used before halting', values, xTitle: 'training step', yTitle: 'steps', xInteger: true });
}

export function lrSpec(rows: TrainMetricRow[]): Spec {
  const ds = downsample(rows as NumRow[], MAX_POINTS);
  const values = longRows(ds, 'step', [['lr', 'learning rate']]);
  return lineSpec({ title: 'Learning-rate schedule', values, xTitle: 'training step', yTitle: 'learning rate', xInteger: true });
}

/** A y range around the values (not 0-1): 90% -> 99.5% must not be a thin band at the top of the chart. */
export function zoomedDomain(values: number[]): [number, number] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = Math.max(0.005, (hi - lo) * 0.1);
  return [Math.max(0, Math.floor((lo - pad) * 100) / 100), Math.min(1, Math.ceil((hi + pad) * 100) / 100)];
}

export function perStepSpec(m: EvalMetrics): Spec {
  const values: Row[] = [];
  m.accuracy_per_step.forEach((v, i) => values.push({ x: i + 1, series: 'token accuracy', value: v }));
  m.exact_accuracy_per_step.forEach((v, i) => values.push({ x: i + 1, series: 'exact accuracy', value: v }));
  const spec = lineSpec({
    title: 'Test accuracy after each supervision step (y axis zoomed to the data)', values, xTitle: 'supervision step', yTitle: 'accuracy',
    yDomain: zoomedDomain(values.map((v) => v.value as number)), points: true, xInteger: true,
  }) as { encoding: { y: { axis?: unknown; scale?: Record<string, unknown> } } };
  spec.encoding.y.axis = { format: '.0%' };
  spec.encoding.y.scale = { ...spec.encoding.y.scale, zero: false, nice: false };
  return spec as unknown as Spec;
}

/** Test examples by sigmoid(q_halt) in 10 bins, stacked by outcome: is the halting head's confidence right? */
export function qHaltSpec(qHalt: Float32Array, correct: Uint8Array): Spec {
  const BINS = 10;
  const counts = [new Array(BINS).fill(0), new Array(BINS).fill(0)];
  for (let i = 0; i < qHalt.length; i++) {
    const p = 1 / (1 + Math.exp(-qHalt[i]));
    counts[correct[i] ? 1 : 0][Math.min(BINS - 1, Math.floor(p * BINS))]++;
  }
  // stacked by hand (solved below): a bar ranged in x and y draws in any vega-lite version
  const values: Row[] = [];
  for (let b = 0; b < BINS; b++) {
    const [wrong, right] = [counts[0][b], counts[1][b]];
    if (right) values.push({ from: b / BINS, to: (b + 1) / BINS, outcome: 'solved', y0: 0, y1: right });
    if (wrong) values.push({ from: b / BINS, to: (b + 1) / BINS, outcome: 'not solved', y0: right, y1: right + wrong });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Test examples by halting confidence sigmoid(q_halt)', width: WIDTH, height: HEIGHT, config: baseConfig,
    data: { values },
    mark: { type: 'bar', stroke: 'white', strokeWidth: 0.5 },
    encoding: {
      x: { field: 'from', type: 'quantitative', title: 'sigmoid(q_halt) after the last step', scale: { domain: [0, 1] }, axis: { format: '.1f', tickCount: 10 } },
      x2: { field: 'to' },
      y: { field: 'y0', type: 'quantitative', title: 'examples' },
      y2: { field: 'y1' },
      color: { field: 'outcome', type: 'nominal', title: null, scale: { domain: ['solved', 'not solved'], range: ['#54a24b', '#e45756'] }, legend: { labelLimit: 0 } },
    },
  } as Spec;
}

export function haltHistogramSpec(steps: ArrayLike<number>): Spec {
  const counts = new Map<number, number>();
  for (let i = 0; i < steps.length; i++) counts.set(steps[i], (counts.get(steps[i]) ?? 0) + 1);
  const values = [...counts].sort((a, b) => a[0] - b[0]).map(([s, n]) => ({ steps: s, examples: n }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Test examples by halting step', width: { step: 40 }, height: HEIGHT, config: baseConfig,
    data: { values },
    mark: { type: 'bar', color: '#4c78a8' },
    encoding: {
      x: { field: 'steps', type: 'ordinal', title: 'supervision steps at halt', axis: { labelAngle: 0 } },
      y: { field: 'examples', type: 'quantitative', title: 'examples' },
    },
  } as Spec;
}
