// Run summary, results beside the published numbers, and the scale of this run against the paper's recipe.
import { scalarMetrics } from './diff.ts';
import { code, codeBlock, count, details, duration, esc, num, pct, short, table } from './markdown.ts';
import { isRateMetric } from '@trm/dataset';
import { PAPER, type PublishedRecipe } from './published.ts';
import { obj, section } from './sections.ts';
import type { ReportInput } from './types.ts';

export function gitCell(g: ReportInput['git']): string {
  if (!g) return 'n/a (not a git checkout)';
  const origin = g.recorded ? 'recorded by the train stage' : 'HEAD when this report was written; the train stage recorded no commit';
  const dirty = g.dirty ? '; tracked files had uncommitted changes' : g.dirty === null ? '' : '; clean';
  return `${code(g.commit)} (${origin}${dirty})`;
}

/** `2 worker threads` / `the main thread only` for a worker count. */
function threads(n: number): string {
  return n === 0 ? 'the main thread only' : `${count(n)} worker thread${n === 1 ? '' : 's'}`;
}

/** The threads training ran on: as the train stage recorded them, else as the config asks (labelled so). */
export function workersCell(input: ReportInput): string {
  const recorded = input.training.workers;
  if (recorded !== null) return `${threads(recorded)} (recorded by the train stage)`;
  const configured = obj(input.config.runtime).workers;
  const unrecorded = 'the train stage recorded no worker count';
  if (configured === undefined) return `n/a (${unrecorded} and the config sets no ${code('runtime.workers')})`;
  const shown = typeof configured === 'number' ? threads(configured) : code(JSON.stringify(configured));
  return `${shown} as configured (${code('runtime.workers')} in the config; ${unrecorded})`;
}

/** Format a metric value: rates (accuracy, pass@K, *_rate, valid/optimal shares) as percentages, the rest as numbers. */
export function formatMetric(key: string, v: number | null): string {
  if (v === null || !Number.isFinite(v)) return 'n/a';
  return isRateMetric(key) && v >= 0 && v <= 1 ? pct(v) : num(v);
}

/** A change of a metric: rates in percentage points (`+1.5 pp`), the rest as numbers; signed, `0` when none. */
export function formatChange(key: string, v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '—';
  if (v === 0) return '0';
  const sign = v > 0 ? '+' : '−';
  return isRateMetric(key) ? `${sign}${(100 * Math.abs(v)).toFixed(1)} pp` : `${sign}${num(Math.abs(v))}`;
}


export function trainSummary(input: ReportInput) {
  const rows = input.trainMetrics;
  const train = obj(input.config.train);
  const trainStage = input.stages.find((s) => s.stage === 'train');
  const wall = trainStage?.wallSeconds ?? null;
  const steps = rows.length ? rows[rows.length - 1].step : 0;
  const epochs = rows.length ? rows[rows.length - 1].epoch : null;
  const { seconds, steps: timed } = input.training;
  return {
    steps, epochs, wall,
    stepsPerSecond: seconds && seconds > 0 && timed ? timed / seconds : null,
    epochsConfigured: typeof train.epochs === 'number' ? train.epochs : null,
    batch: typeof train.global_batch_size === 'number' ? train.global_batch_size : null,
  };
}

/** `FILE` (pytorch-zip, float32, sha256 `384f1ab25d92`): where an imported model came from. */
function importedFrom(i: NonNullable<ReportInput['imported']>): string {
  return `${code(i.file)} (${esc(i.format)}, ${esc(i.dtypes.join('/'))}, sha256 ${code(i.sha256.slice(0, 12))})`;
}

export function headline(input: ReportInput, recipes: PublishedRecipe[]): string {
  const t = trainSummary(input);
  if (input.imported) {
    const p = recipes[0];
    return `> **An imported model.** Its weights come from ${importedFrom(input.imported)}, brought in by \`trm import-checkpoint\`: ` +
      `it was trained elsewhere (e.g. by the reference implementation on GPUs), so this report has no training curves of its own. ` +
      `Evaluation, halting and examples below are of this model on this config's test split` +
      (p ? `; the published ${p.task} recipe (${PAPER}) reports ${pct(p.value)} (${p.metric}).` : '.');
  }
  const ours = `${count(t.steps)} optimizer steps at batch ${count(t.batch)} (configured for ${count(t.epochsConfigured)} epochs) ` +
    `on ${count(input.data.trainExamples)} training examples` + (input.params ? ` with a ${count(input.params.model)}-parameter model` : '');
  if (!recipes.length) {
    return `> **A home-scale run.** It trained ${ours}. There is no published TRM result for dataset ${code(input.dataset.name)}.`;
  }
  const p = recipes[0];
  return `> **A home-scale run, not a reproduction.** This run trained ${ours}. The published ${p.task} recipe ` +
    `(${PAPER}) trains ${count(p.train.epochs)} epochs at batch ${p.train.global_batch_size} on ${p.data} with ` +
    `hidden size ${p.arch.hidden_size}, and reports ${pct(p.value)} (${p.metric}). Read the numbers below with that in mind.`;
}

/** The wasm matmul kernel of a backend key (`trm`, `tfjs`, or `native <build>`) as the report names it. */
function gemmLabel(gemm: string): string {
  const [kind, ...build] = gemm.split(' ');
  if (kind === 'native') return `tensor-core's native GEMM (C++ addon${build.length ? `, ${build.join(' ')}` : ''})`;
  return kind === 'trm' ? "tensor-core's WebAssembly GEMM" : kind === 'tfjs' ? "tfjs's own" : gemm;
}

/** The precision of a backend key (absent: fp32; `bf16 <kernel>`) as the report names it. */
function precisionLabel(precision: string | null | undefined): string {
  if (!precision) return 'float32';
  const [, kernel] = precision.split(' ');
  return `bfloat16 (the reference's default; bfloat16 GEMM kernel ${esc(kernel ?? 'unknown')})`;
}

export function runSummary(input: ReportInput): string {
  const t = trainSummary(input);
  const cfgDescription = typeof input.config.description === 'string' ? ` — ${esc(input.config.description)}` : '';
  const rows: string[][] = [
    ['Config', `${code(input.configName)}${cfgDescription}`],
    ['Dataset', `${code(input.dataset.name)} — ${esc(input.dataset.description)}`],
    ['Backend', input.backend ? `${esc(input.backend.name)} ${esc(input.backend.version ?? '(version unknown)')}${input.backend.gemm ? ` (matmul kernel: ${esc(gemmLabel(input.backend.gemm))})` : ''}` : 'n/a'],
    ['Precision', precisionLabel(input.backend?.precision)],
    ['Training threads', workersCell(input)],
    ['Git commit', gitCell(input.git)],
    ['Parameters', input.params ? `${count(input.params.model)} (model) + ${count(input.params.puzzleEmb)} (puzzle embeddings)` : 'n/a'],
    ['Data', `${count(input.data.trainExamples)} train examples in ${count(input.data.trainGroups)} groups; ${count(input.data.testExamples)} test examples`],
    input.imported ? ['Training', `none here: the model was imported from ${importedFrom(input.imported)}`] : ['Training', `${count(t.steps)} optimizer steps (last epoch index ${num(t.epochs)}); stage wall time ${duration(t.wall)}; ` +
      `${t.stepsPerSecond === null ? 'n/a' : t.stepsPerSecond.toFixed(2)} steps/s` +
      (input.training.seconds === null ? '' : ` (${num(input.training.steps)} steps in ${duration(input.training.seconds)} of training)`)],
  ];
  const stageRows = input.stages.map((s) => [
    s.stage, duration(s.wallSeconds), short(s.manifestHash), short(s.configHash), short(s.code),
    Object.entries(s.files).map(([f, v]) => `${code(f)} ${short(v.sha256, 8)}${v.rows === undefined ? '' : ` (${num(v.rows)} rows)`}`).join('<br>') || '—',
  ]);
  return [
    section('1. Run summary'),
    table(['field', 'value'], rows),
    '',
    `Artifacts (${code(`artifacts/${input.configName}/<stage>/manifest.json`)}; hashes are sha256, shortened):`,
    '',
    table(['stage', 'wall time', 'manifest', 'config hash', 'code', 'files'], stageRows, ['l', 'r', 'l', 'l', 'l', 'l']),
    '',
    details('Resolved config', codeBlock('json', JSON.stringify(input.config, null, 2))),
  ].join('\n');
}

const LABELS: Record<string, string> = {
  exact_accuracy: 'exact accuracy', token_accuracy: 'token accuracy', q_halt_accuracy: 'q_halt accuracy', mean_steps: 'mean steps',
};

export function results(input: ReportInput, recipes: PublishedRecipe[]): string {
  const m = input.evalMetrics;
  const rows = Object.entries(scalarMetrics(m)).map(([k, v]) => [LABELS[k] ?? code(k), formatMetric(k, v)]);
  const out = [section('2. Results')];
  if (m.count === 0) out.push('The test split is empty (train-only data), so nothing was evaluated: the metrics below are n/a.', '');
  else out.push(`On the ${count(m.count)} examples of this run's test split:`, '');
  out.push(table(['test metric', 'this run'], rows, ['l', 'r']));
  if (recipes.length) {
    out.push('', `**Published results (${PAPER}), for orientation only.** They were measured on other data at another scale ` +
      '(the paper\'s recipes, below), not on this run\'s test split: they are not a target this run missed or met.', '',
    table(['task', 'variant', 'metric', 'published'], recipes.map((r) => [r.task, r.variant, code(r.metric), pct(r.value)]), ['l', 'l', 'l', 'r']));
    out.push('', scaleTable(input, recipes[0]));
  }
  return out.join('\n');
}

function scaleTable(input: ReportInput, p: PublishedRecipe): string {
  const t = trainSummary(input);
  const arch = obj(input.config.arch);
  const ratio = (ours: number | null, theirs: number | null) => {
    if (ours === null || theirs === null || theirs === 0 || ours === 0) return '—';
    const r = ours / theirs;
    return r >= 0.1 ? `${Number(r.toPrecision(2))}×` : `1/${Math.round(1 / r).toLocaleString('en-US')}`;
  };
  const pubExamples = p.trainPuzzles !== null ? p.trainPuzzles * ((p.augmentations ?? 0) + 1) : null;
  const pubSteps = p.trainPuzzles !== null ? Math.floor((p.train.epochs * p.trainPuzzles) / p.train.global_batch_size) : null;
  const n = (v: unknown) => (typeof v === 'number' ? v : null);
  const rows: [string, number | null, number | null][] = [
    ['epochs', t.epochsConfigured, p.train.epochs],
    ['global batch size', t.batch, p.train.global_batch_size],
    ['optimizer steps', t.steps || null, pubSteps],
    ['training puzzles (groups)', input.data.trainGroups, p.trainPuzzles],
    ['training examples (with augmentations)', input.data.trainExamples, pubExamples],
    ['tokens per example (seq_len)', input.data.seqLen, p.seqLen],
    ['hidden_size', n(arch.hidden_size), p.arch.hidden_size],
    ['H_cycles', n(arch.H_cycles), p.arch.H_cycles],
    ['L_cycles', n(arch.L_cycles), p.arch.L_cycles],
    ['L_layers', n(arch.L_layers), p.arch.L_layers],
  ];
  const body = rows.map(([k, ours, theirs]) => [k, count(ours), count(theirs), ratio(ours, theirs)]);
  body.push(['mixer', arch.mlp_t === true ? 'mlp_t' : 'attention', p.arch.mlp_t ? 'mlp_t' : 'attention', arch.mlp_t === p.arch.mlp_t ? 'same' : 'differs']);
  return [
    `Scale of this run against the published ${p.task} recipe (${PAPER}, recipe table; published optimizer steps = epochs × puzzles / batch):`,
    '',
    table(['', 'this run', 'published', 'this / published'], body, ['l', 'r', 'r', 'r']),
  ].join('\n');
}
