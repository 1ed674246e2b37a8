// buildReport: ReportInput (plain data) -> report.md + img/*.svg. Pure apart from chart rendering (vega, in memory).
import { metricsDiff, paramsDiff, scalarMetrics } from './diff.ts';
import { drawExamples, type DrawnExample } from './examples.ts';
import { charts, halting, recursion } from './figures.ts';
import { exampleBlock, outcome, trajectoryBlock } from './gallery.ts';
import { anchor, code, codeBlock, esc, table } from './markdown.ts';
import { runStateLine } from './intervals.ts';
import { publishedFor } from './published.ts';
import { obj, section, SECTIONS } from './sections.ts';
import { formatChange, formatMetric, headline, results, runSummary } from './summary.ts';
import type { ReportInput, ReportOutput } from './types.ts';

export { formatMetric };

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
  out.push(table(['metric', 'old', 'new', 'change'],
    md.map((d) => [code(d.metric), formatMetric(d.metric, d.old), formatMetric(d.metric, d.new), formatChange(d.metric, d.change)]), ['l', 'r', 'r', 'r']));
  out.push('', 'Changes of rates are in percentage points (pp): 50.0% → 75.0% is +25.0 pp.');
  return out.join('\n');
}

/** What the examples are and why these: failures and what the recursion fixed come first. */
function examplesIntro(drawn: DrawnExample[]): string {
  const kinds = drawn.map((d) => outcome(d));
  const n = (p: (k: string) => boolean) => kinds.filter(p).length;
  const parts = [
    [n((k) => k.startsWith('fixed')), 'fixed by the recursion (wrong after step 1, right at the end)'],
    [n((k) => k.startsWith('not solved')), 'not solved'],
    [n((k) => k === 'solved'), 'solved'],
  ].filter(([c]) => (c as number) > 0).map(([c, what]) => `${c} ${what}`);
  return 'Chosen to show what goes wrong and what the recursion repairs: the evaluate stage keeps the per-step predictions of ' +
    'the first test examples the model got wrong and of the first ones it got wrong after step 1 but right at the end, ' +
    'and these are drawn first (wrong and right alternately, so both show); the rest are the first wrong, then the ' +
    `first right examples, in test order. Here: ${parts.join(', ')}.`;
}

/** Shell-quote one argument when it needs it. */
function sh(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function reproduce(input: ReportInput): string {
  // one override per line when there are several, so the block stays readable
  const sep = input.overrides.length > 1 ? ' \\\n  ' : ' ';
  const sets = input.overrides.map((o) => `${sep}--set ${sh(o)}`).join('');
  const name = sh(input.configName);
  const lines = [
    ...(input.git ? [`git checkout ${input.git.commit}`] : []),
    'npm ci',
    `npx nx run pipeline:report --config ${name}${sets}`,
  ];
  const caveat = input.git?.dirty ? ' The working tree had uncommitted changes when this report was written, so the commit alone may not reproduce it.' : '';
  return [
    section('9. Reproduce'),
    'The report target runs the stages it depends on (fetch → augment → encode → train → evaluate) with the same config' +
      (sets ? ' and overrides.' : '.') + caveat,
    '',
    codeBlock('sh', lines.join('\n')),
    '',
    'Without Nx, `npm run trm -- report` takes the same arguments.',
  ].join('\n');
}

/** Build the report of one run. Image links in the markdown are relative (`img/...`), keys of `files`. */
export async function buildReport(input: ReportInput): Promise<ReportOutput> {
  const files: Record<string, string> = {};
  const recipes = publishedFor(input.dataset.name, input.config);
  const title = typeof obj(input.config.report).title === 'string' ? (obj(input.config.report).title as string) : input.configName;
  const encodeCfg = obj(input.config.encode);
  const drawn = drawExamples(input.dataset, encodeCfg, input.examples, files);
  const withTrajectory = drawn.filter((d) => d.steps.length > 0);

  const parts = [
    `# TRM report: ${esc(title)}`,
    ...(runStateLine(input) ? [runStateLine(input)!] : []),
    headline(input, recipes),
    'Contents: ' + SECTIONS.map((s) => `[${s.replace(/^\d+\. /, '')}](#${anchor(s)})`).join(' · '),
    runSummary(input),
    results(input, recipes),
    await charts(input, files),
    await recursion(input, files),
    await halting(input, files),
    [section('6. Examples'), drawn.length ? [examplesIntro(drawn), ...drawn.map((d) => exampleBlock(d, input))].join('\n\n') : 'No examples were evaluated.'].join('\n'),
    [section('7. Refinement trajectories'), withTrajectory.length
      ? withTrajectory.map(trajectoryBlock).join('\n\n')
      : input.evalMetrics.count === 0 ? 'The test split is empty: no predictions to follow.'
        : 'The evaluate stage kept no per-step predictions (`evaluate.trajectory_examples` is 0).'].join('\n'),
    comparison(input),
    reproduce(input),
  ];
  return { markdown: parts.join('\n\n') + '\n', files };
}
