// The report's part of evaluation during training, on a synthetic run: the curve, the best interval, the banner of a
// run that is in progress or stopped.
import { describe, expect, it } from 'vitest';
import type { IntervalEval } from '../stages/interval-evals.ts';
import { buildReport } from './build.ts';
import { syntheticInput } from './testing/synthetic.ts';
import { assertSvgFile } from './testing/xml.ts';

const evals: IntervalEval[] = [10, 20, 30, 40, 50].map((step, i) => ({
  step, epoch: step / 10, examples: 3,
  exact_accuracy: [0, 1 / 3, 2 / 3, 1 / 3, 2 / 3][i], token_accuracy: 0.5 + 0.1 * i, q_halt_accuracy: 0.75, mean_steps: 6,
  exact_accuracy_per_step: [0, 0, 0, 0, 0, 0], accuracy_per_step: [0.1, 0.2, 0.3, 0.4, 0.5, 0.5 + 0.1 * i],
  task: { valid_solution_rate: 0.2 * i },
}));

describe('report: evaluations during training', () => {
  it('draws test accuracy by training step beside the training curves and names the best interval', async () => {
    const input = { ...syntheticInput(), intervalEvals: evals, watchMetric: 'exact_accuracy' };
    input.config = { ...input.config, train: { ...(input.config.train as object), eval_interval: 1, ema: true } };
    const out = await buildReport(input);
    const md = out.markdown;
    const curves = md.slice(md.indexOf('## 3. Training curves'), md.indexOf('## 4.'));
    expect(curves).toContain('![test accuracy during training](img/test_accuracy_during_training.svg)');
    expect(curves.indexOf('img/loss.svg')).toBeLessThan(curves.indexOf('img/test_accuracy_during_training.svg'));
    expect(curves).toContain('5 evaluations during training (every 1 epochs; 3 test examples, the weights the evaluate stage uses (the EMA))');
    expect(curves).toContain('exact accuracy from 0.0% at step 10 to 66.7% at step 50');
    expect(curves).toContain('Best exact accuracy: **66.7% at step 30** (epoch 3)'); // the first of the highest
    expect(curves).toMatch(/\| 30 \(best\) \| 3 \| 66\.67% \| 70\.00% \| 75\.00% \| 40\.00% \|/);
    const svg = out.files['img/test_accuracy_during_training.svg'];
    assertSvgFile(svg, 'test accuracy during training');
    expect(svg).toContain('training step');
    expect(md).not.toMatch(/In progress|Stopped at/);
  });

  it('a task metric can be the one watched: drawn as a third line', async () => {
    const out = await buildReport({ ...syntheticInput(), intervalEvals: evals, watchMetric: 'valid_solution_rate' });
    expect(out.markdown).toContain('Best valid\\_solution\\_rate: **80.0% at step 50**');
    expect(out.files['img/test_accuracy_during_training.svg']).toContain('valid_solution_rate');
  });

  it('without evaluations during training it says how to get the curve', async () => {
    const out = await buildReport(syntheticInput());
    expect(out.markdown).toContain('No evaluation during training (`train.eval_interval` is 0');
    expect(out.files['img/test_accuracy_during_training.svg']).toBeUndefined();
  });

  it('a run in progress or stopped says so at the top', async () => {
    const progress = await buildReport({ ...syntheticInput(), intervalEvals: evals, runState: { state: 'in progress', step: 50, total: 200, reason: null, model: { kind: 'last', step: 50 }, evaluated: 'last interval' } });
    const top = progress.markdown.split('\n').slice(0, 4).join('\n');
    expect(top).toContain('> **In progress at step 50 of 200.**');
    expect(top).toContain('the results below are those of the last evaluation during training');
    const stopped = await buildReport({ ...syntheticInput(), intervalEvals: evals, runState: { state: 'stopped', step: 50, total: 200, reason: 'early stop: exact_accuracy did not improve', model: { kind: 'best', step: 30 }, evaluated: 'evaluate stage' } });
    expect(stopped.markdown).toContain('> **Stopped at step 50** of 200: early stop: exact\\_accuracy did not improve. Its model: the best interval\'s, step 30.');
  });
});
