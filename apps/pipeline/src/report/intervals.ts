// The evaluations during training (train.eval_interval) in the report: the test-accuracy-by-step curve beside the
// training curves, the best interval, and the banner of a run that is still training or was stopped.
import type { IntervalEval } from '../stages/interval-evals.ts';
import { bestEval, metricOf } from '../stages/interval-evals.ts';
import { renderChart } from './charts.ts';
import { code, count, details, esc, image, num, pct, table } from './markdown.ts';
import { obj } from './sections.ts';
import type { ReportInput } from './types.ts';

type Spec = Parameters<typeof renderChart>[0];

const label = (metric: string) => (metric === 'exact_accuracy' ? 'exact accuracy' : metric === 'token_accuracy' ? 'token accuracy' : metric);

/** Test accuracy (exact, token, and the watched metric when it is another) at each evaluation, by training step. */
export function intervalSpec(rows: readonly IntervalEval[], watch: string): Spec {
  const series = ['exact_accuracy', 'token_accuracy', ...(['exact_accuracy', 'token_accuracy'].includes(watch) ? [] : [watch])];
  const values = rows.flatMap((r) => series.map((m) => ({ x: r.step, series: label(m), value: metricOf(r, m) })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Test accuracy during training (interval evaluations)', width: 560, height: 220,
    config: { background: 'white', font: 'Helvetica, Arial, sans-serif', axis: { labelFontSize: 11, titleFontSize: 12, grid: true, gridColor: '#e5e5e5' }, legend: { orient: 'bottom', labelFontSize: 11 }, title: { fontSize: 14, anchor: 'start' } },
    data: { values },
    mark: { type: 'line', point: true, strokeWidth: 1.5 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: 'training step', axis: { format: 'd', tickMinStep: 1 } },
      y: { field: 'value', type: 'quantitative', title: 'test accuracy', scale: { domain: [0, 1] } },
      color: { field: 'series', type: 'nominal', title: null, legend: { labelLimit: 0 } },
    },
  } as Spec;
}

/** The markdown block of section 3 about the interval evaluations (and its chart into `files`). */
export async function intervalBlock(input: ReportInput, files: Record<string, string>): Promise<string> {
  const rows = input.intervalEvals ?? [];
  const train = obj(input.config.train);
  if (!rows.length) {
    const every = typeof train.eval_interval === 'number' && train.eval_interval > 0;
    return every
      ? 'No evaluation during training has happened yet (`train.eval_interval` = ' + `${train.eval_interval} epochs).`
      : 'No evaluation during training (`train.eval_interval` is 0; set it, in epochs, for a test-accuracy curve across the run).';
  }
  const watch = input.watchMetric ?? 'exact_accuracy';
  const best = bestEval(rows, watch)!;
  const first = rows[0];
  const last = rows[rows.length - 1];
  files['img/test_accuracy_during_training.svg'] = await renderChart(intervalSpec(rows, watch));
  const examples = new Set(rows.map((r) => r.examples));
  const on = examples.size === 1 ? `${count(first.examples)} test examples` : `${[...examples].map(count).join(' / ')} test examples`;
  const taskCols = [...new Set(rows.flatMap((r) => Object.keys(r.task)))].sort();
  return [
    `**Test accuracy during training.** ${count(rows.length)} evaluation${rows.length === 1 ? '' : 's'} during training ` +
      `(every ${num(train.eval_interval as number)} epochs${train.min_eval_interval ? `, from interval ${train.min_eval_interval}` : ''}; ` +
      `${on}, the weights the evaluate stage uses${train.ema ? ' (the EMA)' : ''}): exact accuracy from ${pct(first.exact_accuracy)} at step ${count(first.step)} ` +
      `to ${pct(last.exact_accuracy)} at step ${count(last.step)}. Best ${esc(label(watch))}: **${pct(metricOf(best, watch))} at step ${count(best.step)}** ` +
      `(epoch ${num(best.epoch)}).`,
    '',
    image('test accuracy during training', 'img/test_accuracy_during_training.svg'),
    '',
    details('Every interval evaluation', table(
      ['step', 'epoch', 'exact accuracy', 'token accuracy', 'q_halt accuracy', ...taskCols.map(code)],
      rows.map((r) => [count(r.step) + (r === best ? ' (best)' : ''), num(r.epoch), pct(r.exact_accuracy, 2), pct(r.token_accuracy, 2), pct(r.q_halt_accuracy, 2),
        ...taskCols.map((k) => (r.task[k] === undefined ? '—' : r.task[k] >= 0 && r.task[k] <= 1 ? pct(r.task[k], 2) : num(r.task[k])))]),
      ['r', 'r', 'r', 'r', 'r', ...taskCols.map(() => 'r' as const)])),
  ].join('\n');
}

/** The line of the headline for a run that did not finish (null: it did). */
export function runStateLine(input: ReportInput): string | null {
  const s = input.runState;
  if (!s || s.state === 'finished') return null;
  const model = s.model ? ` Its model: the ${s.model.kind === 'best' ? `best interval's, step ${count(s.model.step)}` : `last step's, step ${count(s.model.step)}`}.` : '';
  const evaluated = s.evaluated === 'evaluate stage' ? '' : s.evaluated === 'last interval'
    ? ' There is no final evaluation yet: the results below are those of the last evaluation during training, and the sections that need every test prediction (halting, examples) are empty.'
    : ' Nothing has been evaluated yet.';
  if (s.state === 'in progress') {
    return `> **In progress at step ${count(s.step)} of ${count(s.total)}.** This report shows the newest checkpoint of a run that is still training${s.reason ? ` (${esc(s.reason)})` : ''}.${model}${evaluated}`;
  }
  return `> **Stopped at step ${count(s.step)}** of ${count(s.total)}${s.reason ? `: ${esc(s.reason)}` : ''}.${model}${evaluated}`;
}
