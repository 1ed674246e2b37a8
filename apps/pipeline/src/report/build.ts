// buildReport: ReportInput (plain data) -> report.md + img/*.svg. Pure apart from chart rendering (vega, in memory).
import { accuracySpec, haltHistogramSpec, haltStepsSpec, lossSpec, lrSpec, MAX_POINTS, perStepSpec, qHaltSpec, renderChart } from './charts.ts';
import { metricsDiff, paramsDiff, scalarMetrics } from './diff.ts';
import { drawExamples, type DrawnExample } from './examples.ts';
import { anchor, code, codeBlock, details, duration, esc, image, num, pct, table } from './markdown.ts';
import { PAPER, publishedFor, type PublishedRecipe } from './published.ts';
import type { ReportInput, ReportOutput } from './types.ts';

const SECTIONS = [
  '1. Run summary', '2. Results', '3. Training curves', '4. The value of recursion', '5. Halting',
  '6. Examples', '7. Refinement trajectories', '8. Comparison', '9. Reproduce',
] as const;
type Section = (typeof SECTIONS)[number];

const TRAJECTORY_COLUMNS = 8;

function section(name: Section): string {
  return `## ${name}\n`;
}

/** Integers with thousands separators (50,000), other numbers compact. */
function count(v: number | null): string {
  return v !== null && Number.isInteger(v) ? v.toLocaleString('en-US') : num(v);
}

function gitCell(g: ReportInput['git']): string {
  if (!g) return 'n/a (not a git checkout)';
  const origin = g.recorded ? 'recorded by the train stage' : 'HEAD when this report was written; the train stage recorded no commit';
  const dirty = g.dirty ? '; tracked files had uncommitted changes' : g.dirty === null ? '' : '; clean';
  return `${code(g.commit)} (${origin}${dirty})`;
}

function obj(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function short(hash: string | null | undefined, n = 12): string {
  return hash ? code(hash.slice(0, n)) : 'n/a';
}

/** Format a metric value: rates (accuracy, pass@K, *_rate, valid/optimal shares) as percentages, the rest as numbers. */
export function formatMetric(key: string, v: number | null): string {
  if (v === null || !Number.isFinite(v)) return 'n/a';
  const rate = /acc|rate|pass|valid|optimal|fraction|share/i.test(key) && !/steps|count|excess|loss/i.test(key);
  return rate && v >= 0 && v <= 1 ? pct(v) : num(v);
}

/** `pass_at_2`, `pass@2`, `Pass@2` compare equal. */
function metricKey(k: string): string {
  return k.toLowerCase().replace(/_at_/g, '@');
}

function trainSummary(input: ReportInput) {
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

function headline(input: ReportInput, recipes: PublishedRecipe[]): string {
  const t = trainSummary(input);
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

function runSummary(input: ReportInput): string {
  const t = trainSummary(input);
  const cfgDescription = typeof input.config.description === 'string' ? ` — ${esc(input.config.description)}` : '';
  const rows: string[][] = [
    ['Config', `${code(input.configName)}${cfgDescription}`],
    ['Dataset', `${code(input.dataset.name)} — ${esc(input.dataset.description)}`],
    ['Backend', input.backend ? `${esc(input.backend.name)} ${esc(input.backend.version ?? '(version unknown)')}` : 'n/a'],
    ['Git commit', gitCell(input.git)],
    ['Parameters', input.params ? `${count(input.params.model)} (model) + ${count(input.params.puzzleEmb)} (puzzle embeddings)` : 'n/a'],
    ['Data', `${count(input.data.trainExamples)} train examples in ${count(input.data.trainGroups)} groups; ${count(input.data.testExamples)} test examples`],
    ['Training', `${count(t.steps)} optimizer steps (last epoch index ${num(t.epochs)}); stage wall time ${duration(t.wall)}; ` +
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

function results(input: ReportInput, recipes: PublishedRecipe[]): string {
  const m = input.evalMetrics;
  const main = recipes[0];
  const publishedCell = (key: string) => {
    if (!main || metricKey(main.metric) !== metricKey(key)) return '—';
    return `${pct(main.value)} (${main.task}, ${main.variant})`;
  };
  const labels: Record<string, string> = {
    exact_accuracy: 'exact accuracy', token_accuracy: 'token accuracy', q_halt_accuracy: 'q_halt accuracy', mean_steps: 'mean steps',
  };
  const rows = Object.entries(scalarMetrics(m)).map(([k, v]) => [labels[k] ?? code(k), formatMetric(k, v), publishedCell(k)]);
  const out = [section('2. Results'), table(['test metric', 'this run', `published (${PAPER})`], rows, ['l', 'r', 'l'])];
  if (recipes.length > 1) {
    out.push('', 'Also published: ' + recipes.slice(1).map((r) => `${r.task} (${r.variant}) ${pct(r.value)} ${r.metric}`).join('; ') + '.');
  }
  if (main) out.push('', scaleTable(input, main));
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

async function charts(input: ReportInput, files: Record<string, string>): Promise<string> {
  const out = [section('3. Training curves')];
  const rows = input.trainMetrics;
  if (!rows.length) {
    out.push('The train stage recorded no metrics rows.');
    return out.join('\n');
  }
  const add = async (name: string, alt: string, spec: Parameters<typeof renderChart>[0]) => {
    files[`img/${name}.svg`] = await renderChart(spec);
    out.push('', image(alt, `img/${name}.svg`));
  };
  out.push(`${count(rows.length)} training steps` + (rows.length > MAX_POINTS ? ` (drawn as the means of ${MAX_POINTS} buckets of consecutive steps).` : '.'));
  await add('loss', 'training loss', lossSpec(rows));
  await add('accuracy', 'training accuracy', accuracySpec(rows));
  await add('lr', 'learning-rate schedule', lrSpec(rows));
  return out.join('\n');
}

async function recursion(input: ReportInput, files: Record<string, string>): Promise<string> {
  const m = input.evalMetrics;
  const out = [section('4. The value of recursion')];
  if (!m.accuracy_per_step.length) {
    out.push('The evaluate stage recorded no per-step accuracy.');
    return out.join('\n');
  }
  files['img/accuracy_per_step.svg'] = await renderChart(perStepSpec(m));
  const last = m.exact_accuracy_per_step.length - 1;
  const from = (a: number[]) => `${pct(a[0])} after step 1 to ${pct(a[last])} after step ${last + 1}`;
  out.push(
    'TRM answers after every supervision step and the next step starts from that answer. On the test split, exact accuracy ' +
      `goes from ${from(m.exact_accuracy_per_step)}; token accuracy from ${from(m.accuracy_per_step)}.`,
    '',
    image('test accuracy after each supervision step', 'img/accuracy_per_step.svg'),
    '',
    details('Per-step numbers', table(['step', 'token accuracy', 'exact accuracy'],
      m.accuracy_per_step.map((a, i) => [String(i + 1), pct(a, 2), pct(m.exact_accuracy_per_step[i], 2)]), ['r', 'r', 'r'])),
  );
  return out.join('\n');
}

async function halting(input: ReportInput, files: Record<string, string>): Promise<string> {
  const out = [section('5. Halting')];
  const { steps, qHalt, correct } = input.testRows;
  if (steps.length) {
    files['img/halting_histogram.svg'] = await renderChart(haltHistogramSpec(steps));
    const distinct = new Set(steps);
    out.push(
      distinct.size === 1
        ? `All ${count(steps.length)} test examples ran ${steps[0]} supervision steps: evaluation runs every example for ` +
            '`halt_max_steps` steps (ACT halting applies in training only).'
        : `Supervision steps at which the ${count(steps.length)} test examples halted.`,
      '',
      image('test examples by halting step', 'img/halting_histogram.svg'),
    );
    files['img/q_halt.svg'] = await renderChart(qHaltSpec(qHalt, correct));
    let agree = 0;
    for (let i = 0; i < qHalt.length; i++) if ((qHalt[i] >= 0) === (correct[i] === 1)) agree++;
    out.push(
      '',
      `The q_halt head predicts whether the answer is already right; training halts an example when q_halt > 0 ` +
        `(sigmoid > 0.5). On the test split it agrees with the outcome for ${count(agree)} of ${count(qHalt.length)} examples.`,
      '',
      image('test examples by halting confidence', 'img/q_halt.svg'),
    );
  } else {
    out.push('The evaluate stage recorded no halting steps.');
  }
  if (input.trainMetrics.some((r) => r.count > 0)) {
    files['img/halt_steps_train.svg'] = await renderChart(haltStepsSpec(input.trainMetrics));
    out.push('', 'During training the q_halt head decides when an example stops; the mean number of supervision steps of the examples that halted:', '',
      image('training: supervision steps before halting', 'img/halt_steps_train.svg'));
  }
  return out.join('\n');
}

function exampleBlock(d: DrawnExample, input: ReportInput): string {
  const status = d.view.correct ? 'solved' : `${d.wrong} wrong cell${d.wrong === 1 ? '' : 's'}`;
  return [
    `### Test example ${d.view.index} (group ${d.view.group}): ${status}`,
    '',
    `q_halt logit ${d.view.qHalt.toFixed(2)} (${d.view.qHalt >= 0 ? 'confident' : 'not confident'}), ${d.view.steps} supervision steps. Wrong cells are marked in red.`,
    '',
    table(['input', 'prediction', 'target'], [[
      image(`input ${d.view.index}`, d.images.input), image(`prediction ${d.view.index}`, d.images.pred), image(`target ${d.view.index}`, d.images.target),
    ]], ['c', 'c', 'c']),
    '',
    details('As text', ['input', 'prediction', 'target'].map((k, i) =>
      `${k}:\n\n${codeBlock('text', input.dataset.renderText([d.input, d.pred, d.target][i]))}`).join('\n\n')),
  ].join('\n');
}

function trajectoryBlock(d: DrawnExample): string {
  const out = [`### Test example ${d.view.index}: prediction after each supervision step`, ''];
  const firstRight = d.steps.findIndex((s) => s.wrong === 0);
  out.push(firstRight >= 0 ? `First fully correct after step ${firstRight + 1}.` : 'Not fully correct at any step.', '');
  for (let lo = 0; lo < d.steps.length; lo += TRAJECTORY_COLUMNS) {
    const chunk = d.steps.slice(lo, lo + TRAJECTORY_COLUMNS);
    out.push(table(
      chunk.map((s, j) => `step ${lo + j + 1}: ${s.wrong} wrong`),
      [chunk.map((s, j) => image(`step ${lo + j + 1}`, s.image))],
      chunk.map(() => 'c'),
    ), '');
  }
  return out.join('\n').trimEnd();
}

function comparison(input: ReportInput): string {
  const out = [section('8. Comparison')];
  const c = input.comparison;
  if (!c) {
    out.push('No comparison run. Pass `--compare OTHER_CONFIG`, or run this report again after changing the config: ' +
      'each report keeps a summary of its run in `history.json` and compares with the previous one.');
    return out.join('\n');
  }
  out.push(`Against **${esc(c.label)}** (old) → this run (new).`, '', '#### Params diff', '');
  const pd = paramsDiff(c.config, input.config);
  const show = (v: unknown) => (v === undefined ? '—' : code(JSON.stringify(v)));
  out.push(pd.length ? table(['param', 'old', 'new'], pd.map((p) => [code(p.key), show(p.old), show(p.new)])) : 'The resolved configs are identical.');
  out.push('', '#### Metrics diff', '');
  const md = metricsDiff(c.metrics, scalarMetrics(input.evalMetrics));
  const signed = (k: string, v: number | null) => {
    if (v === null) return '—';
    const f = formatMetric(k, Math.abs(v));
    return v > 0 ? `+${f}` : v < 0 ? `−${f}` : '0';
  };
  out.push(table(['metric', 'old', 'new', 'change'],
    md.map((d) => [code(d.metric), formatMetric(d.metric, d.old), formatMetric(d.metric, d.new), signed(d.metric, d.change)]), ['l', 'r', 'r', 'r']));
  return out.join('\n');
}

/** Shell-quote one argument when it needs it. */
function sh(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function reproduce(input: ReportInput): string {
  const sets = input.overrides.map((o) => ` --set ${sh(o)}`).join('');
  const name = sh(input.configName);
  const lines = [
    ...(input.git ? [`git checkout ${input.git.commit}`] : []),
    'npm ci',
    // Nx targets take only --config: overrides go through the trm CLI, which also runs the whole chain
    sets ? `npm run trm -- report --config ${name}${sets}` : `npx nx run pipeline:report --config ${name}`,
  ];
  const caveat = input.git?.dirty ? ' The working tree had uncommitted changes when this report was written, so the commit alone may not reproduce it.' : '';
  return [
    section('9. Reproduce'),
    (sets
      ? 'This run had `--set` overrides, which the Nx targets do not pass on; the `trm` CLI applies them and runs the stages before the report (fetch → augment → encode → train → evaluate).'
      : 'The report target runs the stages it depends on (fetch → augment → encode → train → evaluate) for the same config.') + caveat,
    '',
    codeBlock('sh', lines.join('\n')),
  ].join('\n');
}

/** Build the report of one run. Image links in the markdown are relative (`img/...`), keys of `files`. */
export async function buildReport(input: ReportInput): Promise<ReportOutput> {
  const files: Record<string, string> = {};
  const recipes = publishedFor(input.dataset.name, obj(input.config.arch));
  const title = typeof obj(input.config.report).title === 'string' ? (obj(input.config.report).title as string) : input.configName;
  const encodeCfg = obj(input.config.encode);
  const drawn = drawExamples(input.dataset, encodeCfg, input.examples, files);
  const withTrajectory = drawn.filter((d) => d.steps.length > 0);

  const parts = [
    `# TRM report: ${esc(title)}`,
    headline(input, recipes),
    'Contents: ' + SECTIONS.map((s) => `[${s.replace(/^\d+\. /, '')}](#${anchor(s)})`).join(' · '),
    runSummary(input),
    results(input, recipes),
    await charts(input, files),
    await recursion(input, files),
    await halting(input, files),
    [section('6. Examples'), drawn.length ? drawn.map((d) => exampleBlock(d, input)).join('\n\n') : 'No examples were evaluated.'].join('\n'),
    [section('7. Refinement trajectories'), withTrajectory.length
      ? withTrajectory.map(trajectoryBlock).join('\n\n')
      : 'The evaluate stage kept no per-step predictions (`evaluate.trajectory_examples` is 0).'].join('\n'),
    comparison(input),
    reproduce(input),
  ];
  return { markdown: parts.join('\n\n') + '\n', files };
}
