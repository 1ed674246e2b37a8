// Example grids (input, prediction, target) and the prediction after each supervision step.
import type { Grid } from '@trm/dataset';
import type { DrawnExample } from './examples.ts';
import { codeBlock, details, image, table } from './markdown.ts';
import type { ReportInput } from './types.ts';

const TRAJECTORY_COLUMNS = 8;

/** `3 wrong cells`, `right`, or the shape when it differs from the target's (`empty grid`, `3x4 instead of 6x6`). */
export function verdict(pred: Grid, target: Grid, wrong: number): string {
  if (pred.rows !== target.rows || pred.cols !== target.cols) {
    return pred.rows * pred.cols === 0 ? 'empty grid' : `${pred.rows}x${pred.cols} instead of ${target.rows}x${target.cols}`;
  }
  return wrong === 0 ? 'right' : `${wrong} wrong cell${wrong === 1 ? '' : 's'}`;
}

/** What happened to an example: solved at once, fixed by the recursion (and at which step), or its errors. */
export function outcome(d: DrawnExample): string {
  if (!d.view.correct) {
    const v = verdict(d.pred, d.target, d.wrong);
    const first = d.steps[0];
    return first && first.wrong !== d.wrong ? `not solved (${v}; ${first.wrong} wrong after step 1)` : `not solved (${v})`;
  }
  const firstRight = d.steps.findIndex((s) => s.wrong === 0);
  return firstRight > 0 ? `fixed by the recursion (${d.steps[0].wrong} wrong after step 1, right from step ${firstRight + 1})` : 'solved';
}

export function exampleBlock(d: DrawnExample, input: ReportInput): string {
  const status = outcome(d);
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

export function trajectoryBlock(d: DrawnExample): string {
  const out = [`### Test example ${d.view.index}: prediction after each supervision step`, ''];
  const firstRight = d.steps.findIndex((s) => s.wrong === 0);
  out.push(firstRight >= 0 ? `First fully correct after step ${firstRight + 1}.` : 'Not fully correct at any step.', '');
  for (let lo = 0; lo < d.steps.length; lo += TRAJECTORY_COLUMNS) {
    const chunk = d.steps.slice(lo, lo + TRAJECTORY_COLUMNS);
    out.push(table(
      chunk.map((s, j) => `step ${lo + j + 1}: ${verdict(s.grid, d.target, s.wrong)}`),
      [chunk.map((s, j) => image(`step ${lo + j + 1}`, s.image))],
      chunk.map(() => 'c'),
    ), '');
  }
  return out.join('\n').trimEnd();
}
