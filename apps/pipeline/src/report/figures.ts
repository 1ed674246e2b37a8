// Figures: training curves, accuracy after each supervision step, halting (vega-lite charts rendered to SVG).
import { accuracySpec, haltHistogramSpec, haltStepsSpec, lossSpec, lrSpec, MAX_POINTS, perStepSpec, qHaltSpec, renderChart } from './charts.ts';
import { count, details, image, pct, table } from './markdown.ts';
import { intervalBlock } from './intervals.ts';
import { section } from './sections.ts';
import type { ReportInput } from './types.ts';

export async function charts(input: ReportInput, files: Record<string, string>): Promise<string> {
  const out = [section('3. Training curves')];
  const rows = input.trainMetrics;
  if (!rows.length) {
    out.push(input.imported ? 'None: the model was imported (see the run summary), not trained here.' : 'The train stage recorded no metrics rows.');
    return out.join('\n');
  }
  const add = async (name: string, alt: string, spec: Parameters<typeof renderChart>[0]) => {
    files[`img/${name}.svg`] = await renderChart(spec);
    out.push('', image(alt, `img/${name}.svg`));
  };
  out.push(`${count(rows.length)} training steps` + (rows.length > MAX_POINTS ? ` (drawn as the means of ${MAX_POINTS} buckets of consecutive steps).` : '.'));
  await add('loss', 'training loss', lossSpec(rows));
  out.push('', await intervalBlock(input, files));
  await add('accuracy', 'training accuracy', accuracySpec(rows));
  await add('lr', 'learning-rate schedule', lrSpec(rows));
  return out.join('\n');
}

export async function recursion(input: ReportInput, files: Record<string, string>): Promise<string> {
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

export async function halting(input: ReportInput, files: Record<string, string>): Promise<string> {
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
