import { describe, expect, it } from 'vitest';
import { formatMetric } from './build.ts';
import { parseEvalMetrics } from './load.ts';
import { downsample, MAX_POINTS, qHaltSpec } from './charts.ts';
import { flatten, paramsDiff } from './diff.ts';
import { countWrong, wrongCells } from './examples.ts';
import { verdict } from './gallery.ts';
import { code, esc, num } from './markdown.ts';
import { assertSvgFile, assertWellFormedXml } from './testing/xml.ts';

const grid = (rows: number, cols: number, cells: number[]) => ({ rows, cols, cells: Uint8Array.from(cells) });

describe('report parts', () => {
  it('downsample keeps short series and averages long ones into at most MAX_POINTS buckets', () => {
    const short = [{ step: 1, v: 2 }];
    expect(downsample(short, MAX_POINTS)).toBe(short);
    const rows = Array.from({ length: 10 }, (_, i) => ({ step: i + 1, v: i }));
    expect(downsample(rows, 4)).toEqual([{ step: 1.5, v: 0.5 }, { step: 4, v: 3 }, { step: 6.5, v: 5.5 }, { step: 9, v: 8 }]);
  });

  it('qHaltSpec bins sigmoid(q_halt) in tenths and stacks solved below unsolved', () => {
    // sigmoid: 0 -> 0.5 (bin 5), 5 -> 0.993 (bin 9), -5 -> 0.007 (bin 0)
    const spec = qHaltSpec(Float32Array.of(0, 0, 5, -5), Uint8Array.of(1, 0, 1, 0)) as { data: { values: unknown[] } };
    expect(spec.data.values).toEqual([
      { from: 0, to: 0.1, outcome: 'not solved', y0: 0, y1: 1 },
      { from: 0.5, to: 0.6, outcome: 'solved', y0: 0, y1: 1 },
      { from: 0.5, to: 0.6, outcome: 'not solved', y0: 1, y1: 2 },
      { from: 0.9, to: 1, outcome: 'solved', y0: 0, y1: 1 },
    ]);
  });

  it('parseEvalMetrics names the field that is wrong and splits off the task metrics', () => {
    const ok = { count: 4, exact_accuracy: 0.5, token_accuracy: 0.9, q_halt_accuracy: 1, mean_steps: 2, accuracy_per_step: [0.8, 0.9],
      exact_accuracy_per_step: [0.25, 0.5], valid_path_rate: 0.5, task: { 'pass@2': 0.25 } };
    expect(parseEvalMetrics(ok, 'm.json')).toEqual({
      count: 4, exact_accuracy: 0.5, token_accuracy: 0.9, q_halt_accuracy: 1, mean_steps: 2, accuracy_per_step: [0.8, 0.9],
      exact_accuracy_per_step: [0.25, 0.5], task: { valid_path_rate: 0.5, 'pass@2': 0.25 },
    });
    expect(() => parseEvalMetrics({ ...ok, count: undefined }, 'm.json')).toThrow('m.json: count: expected a number, got undefined');
    expect(() => parseEvalMetrics({ ...ok, token_accuracy: 'high' }, 'm.json')).toThrow('m.json: token_accuracy: expected a number, got "high"');
    expect(() => parseEvalMetrics({ ...ok, accuracy_per_step: [0.1, null] }, 'm.json')).toThrow('m.json: accuracy_per_step[1]: expected a number, got null');
    expect(() => parseEvalMetrics([], 'm.json')).toThrow('m.json: expected a JSON object of metrics');
  });

  it('verdict names a wrong shape or an empty prediction instead of counting cells', () => {
    const t = grid(2, 2, [1, 2, 3, 4]);
    expect(verdict(grid(2, 2, [1, 2, 3, 0]), t, 1)).toBe('1 wrong cell');
    expect(verdict(t, t, 0)).toBe('right');
    expect(verdict(grid(0, 0, []), t, 4)).toBe('empty grid');
    expect(verdict(grid(1, 3, [1, 2, 3]), t, 6)).toBe('1x3 instead of 2x2');
  });

  it('wrongCells marks differing cells and cells outside the target', () => {
    expect(Array.from(wrongCells(grid(2, 2, [1, 2, 3, 4]), grid(2, 2, [1, 0, 3, 0])))).toEqual([0, 1, 0, 1]);
    expect(Array.from(wrongCells(grid(1, 3, [1, 2, 3]), grid(1, 2, [1, 2])))).toEqual([0, 0, 1]);
    expect(countWrong(grid(1, 3, [1, 2, 3]), grid(1, 2, [1, 2]))).toBe(3);
    expect(countWrong(grid(2, 2, [1, 2, 3, 4]), grid(2, 2, [1, 0, 3, 0]))).toBe(2);
  });

  it('formats rates as percentages and other metrics as numbers', () => {
    expect(formatMetric('valid_path_rate', 0.25)).toBe('25.0%');
    expect(formatMetric('pass@2', 0.125)).toBe('12.5%');
    expect(formatMetric('mean_path_excess', 0.5)).toBe('0.5');
    expect(formatMetric('mean_steps', 1)).toBe('1');
    expect(formatMetric('maze_examples', 1)).toBe('1');
    expect(formatMetric('exact_accuracy', null)).toBe('n/a');
  });

  it('flatten and paramsDiff compare nested configs by dotted key', () => {
    expect([...flatten({ b: { c: 1, d: [1, 2] }, a: null })]).toEqual([['a', null], ['b.c', 1], ['b.d', [1, 2]]]);
    expect(paramsDiff({ x: { y: 1, z: [1] } }, { x: { y: 1, z: [2] } })).toEqual([{ key: 'x.z', old: [1], new: [2] }]);
  });

  it('markdown helpers escape what would break a table or a code span', () => {
    expect(esc('a|b_c*')).toBe('a\\|b\\_c\\*');
    expect(code('a`b')).toBe('``a`b``');
    expect(code('x|y')).toBe('`x\\|y`');
    expect(num(1234567)).toBe('1.23M');
    expect(num(0.0001234)).toBe('1.23e-4');
  });

  it('the XML check rejects malformed SVG', () => {
    expect(() => assertWellFormedXml('<svg><g></svg>')).toThrow(/unexpected <\/svg>/);
    expect(() => assertWellFormedXml('<svg a="1" a="2"/>')).toThrow(/duplicate attribute/);
    expect(() => assertWellFormedXml('<svg>&nbsp;</svg>')).toThrow(/unescaped &/);
    expect(() => assertWellFormedXml('<svg/><svg/>')).toThrow(/more than one root/);
    expect(() => assertWellFormedXml('<?xml version="1.0"?><svg x="a&amp;b"><t>1 &lt; 2</t></svg>')).not.toThrow();
    expect(() => assertSvgFile('<svg width="2"/>')).toThrow(/lacks xmlns/);
    expect(() => assertSvgFile('<g xmlns="http://www.w3.org/2000/svg"/>')).toThrow(/root element is not <svg>/);
    expect(() => assertSvgFile('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"/>')).not.toThrow();
  });
});

describe('the value-of-recursion chart and the curve captions', () => {
  it('zooms the per-step accuracy axis to the data (90% -> 99.5% is not a thin band of 0-1)', async () => {
    const { perStepSpec, zoomedDomain } = await import('./charts.ts');
    expect(zoomedDomain([0.9, 0.95, 0.995])).toEqual([0.89, 1]);
    expect(zoomedDomain([0.2, 0.3])).toEqual([0.19, 0.31]);
    const spec = perStepSpec({ accuracy_per_step: [0.97, 0.99], exact_accuracy_per_step: [0.9, 0.995] } as never) as unknown as
      { encoding: { y: { scale: { domain: number[]; zero: boolean } } } };
    expect(spec.encoding.y.scale.domain).toEqual([0.89, 1]);
    expect(spec.encoding.y.scale.zero).toBe(false);
  });

  it('explains the q_halt curves the report draws (loss diving then jumping, accuracy starting at 1.0)', async () => {
    const { CURVES } = await import('./figures.ts');
    expect(CURVES.loss.find(([n]) => n === 'q_halt_loss')?.[1]).toMatch(/dives toward 1e-4 .* jumps/);
    expect(CURVES.accuracy.find(([n]) => n === 'q_halt accuracy')?.[1]).toMatch(/starts at 1\.0 because/);
  });
});
