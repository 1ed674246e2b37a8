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
  const add = async (name: string, alt: string, spec: Parameters<typeof renderChart>[0], curves: [string, string][]) => {
    files[`img/${name}.svg`] = await renderChart(spec);
    out.push('', image(alt, `img/${name}.svg`), '', captions(curves));
  };
  out.push(`${count(rows.length)} training steps` + (rows.length > MAX_POINTS ? ` (drawn as the means of ${MAX_POINTS} buckets of consecutive steps).` : '.'));
  await add('loss', 'training loss', lossSpec(rows), CURVES.loss);
  out.push('', await intervalBlock(input, files));
  await add('accuracy', 'training accuracy', accuracySpec(rows), CURVES.accuracy);
  await add('lr', 'learning-rate schedule', lrSpec(rows), CURVES.lr);
  return out.join('\n');
}

/** One sentence per curve a chart shows. */
export const CURVES: Record<'loss' | 'accuracy' | 'lr' | 'haltSteps' | 'perStep', [string, string][]> = {
  loss: [
    ['loss', 'what the optimizer minimises: lm_loss + 0.5 × q_halt_loss, per example supervised at that step.'],
    ['lm_loss', 'the cross-entropy (stablemax, as the reference) of the answer tokens against the labels.'],
    ['q_halt_loss', 'the binary cross-entropy of the halting head, which predicts whether the current answer is exactly right; ' +
      'it dives toward 1e-4 while no answer is right (the head learns to say "not right" with near certainty) and jumps once ' +
      'answers start to be right and some of its targets flip.'],
  ],
  accuracy: [
    ['token accuracy', 'the share of answer cells that are right, over the examples that halted at that step.'],
    ['exact accuracy', 'the share of those examples whose every answer cell is right.'],
    ['q_halt accuracy', 'the share where the halting head\'s verdict (q_halt > 0 means "right") matches the answer; it starts ' +
      'at 1.0 because at first no answer is right and the head says "not right" to all, and dips when answers begin to be right.'],
  ],
  lr: [['learning rate', 'a linear warm-up over `train.lr_warmup_steps`, then a cosine decay to lr × `lr_min_ratio` (flat when the ratio is 1); the puzzle embeddings have their own rate, `puzzle_emb_lr`.']],
  haltSteps: [['mean supervision steps at halt', 'how many refinement steps the examples that stopped at that training step had run: ' +
    'the halting head stops an example when q_halt > 0 (exploration sometimes later), at most `halt_max_steps`.']],
  perStep: [
    ['token accuracy', 'the share of answer cells right if evaluation stopped after that supervision step.'],
    ['exact accuracy', 'the share of test examples fully right after that step: what the recursion adds, step by step.'],
  ],
};

function captions(curves: [string, string][]): string {
  return curves.map(([name, text]) => `- **${name}**: ${text}`).join('\n');
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
    captions(CURVES.perStep),
    '',
    'The y axis is zoomed to the data, so small differences show.',
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
      image('training: supervision steps before halting', 'img/halt_steps_train.svg'), '', captions(CURVES.haltSteps));
  }
  return out.join('\n');
}
