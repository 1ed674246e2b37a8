// The training display: the same fields on a terminal and in a log; NO_COLOR; the moving-window rate.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { formatRate, formatSeconds, RateWindow } from './rate.ts';
import { colorsAllowed, createTrainView, plainLine, TrainViewState } from './train-view.ts';

/** A stream that records what is written; a terminal of 140 columns with colours when `tty`. */
function stream(tty: boolean): NodeJS.WriteStream & { text: () => string } {
  let out = '';
  const w = new Writable({ write(chunk, _enc, cb) { out += chunk.toString(); cb(); } }) as unknown as NodeJS.WriteStream & { text: () => string };
  Object.assign(w, { isTTY: tty, columns: 140, rows: 40, hasColors: () => tty, getWindowSize: () => [140, 40], text: () => out });
  return w;
}

const ESC_COLOR = /\x1b\[[0-9;]*m/;

function drive(view: ReturnType<typeof createTrainView>, clock: { t: number }) {
  for (let s = 1; s <= 40; s++) {
    clock.t += 500; // 2 steps/s
    view.step({ step: s, loss: 1 / s, accuracy: 0.5, exact_accuracy: 0.25 });
    if (s === 20) view.evaluation({ step: 20, metric: 'exact_accuracy', value: 0.875, best: { step: 20, value: 0.875 }, next: 40 });
  }
  view.done();
}

describe('rate window', () => {
  it('measures the recent rate, forgets a slow start, and gives the time left', () => {
    const clock = { t: 0 };
    const w = new RateWindow(10_000, () => clock.t);
    w.add(0);
    clock.t = 30_000;
    w.add(1); // a 30 s first step (start-up)
    for (let i = 2; i <= 50; i++) {
      clock.t += 500;
      w.add(i);
    }
    expect(w.rate()).toBeCloseTo(2, 5); // the first step fell out of the window
    expect(w.eta(150)).toBeCloseTo(50, 5);
    expect(new RateWindow().rate()).toBeNull();
    expect([formatSeconds(42), formatSeconds(187), formatSeconds(5 * 3600 + 120), formatSeconds(2 * 86400 + 3 * 3600), formatSeconds(null)]).toEqual(['42s', '3m07s', '5h02m', '2d03h', '?']);
    expect([formatRate(28.14), formatRate(0.42), formatRate(1 / 3.2), formatRate(0.05)]).toEqual(['28.1 steps/s', '0.42 steps/s', '0.31 steps/s', '20.0 s/step']);
  });
});

describe('train view', () => {
  it('on a terminal: three lines redrawn in place with the fields of the plain line', () => {
    const clock = { t: 0 };
    const out = stream(true);
    drive(createTrainView({ total: 80, startStep: 0, firstEval: 20, stream: out, env: {}, now: () => clock.t }), clock);
    const text = out.text();
    const plain = text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
    const last = plain.slice(plain.lastIndexOf('train '));
    expect(last).toContain('40/80');
    expect(last).toContain('2.00 steps/s');
    expect(last).toContain('ETA 20s');
    expect(last).toMatch(/loss 0\.\d{4}/);
    expect(last).toContain('token acc 50.0%');
    expect(last).toContain('exact 25.0%');
    expect(last).toMatch(/test .*exact 87\.5% at step 20/);
    expect(last).toMatch(/best .*87\.5% at step 20/);
    expect(last).toContain('next evaluation at step 40');
    expect(text).toMatch(ESC_COLOR);
    expect(text).toMatch(/\x1b\[\d*A|\x1b\[\d*F|\x1b\[1G/); // cursor moved back up: redrawn in place
  });

  it('NO_COLOR: no colour codes on a terminal that has colours', () => {
    const clock = { t: 0 };
    const out = stream(true);
    drive(createTrainView({ total: 80, startStep: 0, firstEval: 20, stream: out, env: { NO_COLOR: '1' }, now: () => clock.t }), clock);
    expect(out.text()).toContain('40/80');
    expect(out.text()).not.toMatch(ESC_COLOR);
    expect(colorsAllowed(out, { NO_COLOR: '1', FORCE_COLOR: '1' })).toBe(false);
    expect(colorsAllowed(out, {})).toBe(true);
    expect(colorsAllowed(stream(false), {})).toBe(false);
  });

  it('not a terminal: plain lines without escape codes, ending with the same fields', () => {
    const clock = { t: 0 };
    const out = stream(false);
    drive(createTrainView({ total: 80, startStep: 0, firstEval: 20, stream: out, env: {}, now: () => clock.t }), clock);
    const text = out.text();
    expect(text).not.toMatch(/\x1b/);
    const state = new TrainViewState(80, 0, 20, () => 0);
    expect(plainLine(state.fields())).toMatch(/^step 0\/80 \(0%\) \? steps\/s ETA \? \| loss \? acc \? exact \?$/);
    const end = text.trim().split('\n').at(-1)!;
    expect(end).toContain('step 40/80 (50%) 2.00 steps/s ETA 20s');
    expect(end).toContain('test exact 87.5% at step 20, best 87.5% at step 20');
  });

  it('a resumed run starts at its step; without interval evaluation there is no test line', () => {
    const clock = { t: 0 };
    const out = stream(true);
    const view = createTrainView({ total: 100, startStep: 60, firstEval: null, stream: out, env: { NO_COLOR: '1' }, now: () => clock.t });
    clock.t += 1000;
    view.step({ step: 61, loss: 0.5, accuracy: 0.9, exact_accuracy: 0.5 });
    view.done();
    expect(out.text()).toContain('61/100');
    expect(out.text()).not.toContain('test');
  });
});
