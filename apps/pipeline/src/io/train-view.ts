// What a person watching a training run sees. On a terminal (stderr a TTY, not CI, not TRM_QUIET=1): a live
// display redrawn in place by cli-progress, three lines:
//
//   train ██████████░░░░░░░░░░░░░░ 1834/3750  49% │ 28.1 steps/s │ ETA 1m08s │ elapsed 1m05s
//         loss 0.6412 │ token acc 91.2% │ exact 64.1%   (training batches, last 20 steps)
//         test exact 87.5% at step 1500 │ best 87.5% at step 1500 │ next evaluation at step 1875
//
// (the third line only when interval evaluation is on). Anything else, the plain progress lines of
// io/progress.ts carrying the same fields (trainFields), so a log shows what the live view shows. Colours only where
// the terminal has them and NO_COLOR is unset (https://no-color.org). Speed and ETA come from a moving window
// (io/rate.ts), so a slow start or an evaluation pause does not skew them for long.
import { MultiBar, type Options, type Params } from 'cli-progress';
import { createProgress, setLogSink, type Progress } from './progress.ts';
import { formatRate, formatSeconds, RateWindow } from './rate.ts';

export interface StepView {
  step: number;
  loss: number;
  accuracy: number;
  exact_accuracy: number;
}

export interface EvalView {
  step: number;
  /** the metric the run watches (early stop, best model), e.g. exact_accuracy */
  metric: string;
  value: number;
  best: { step: number; value: number };
  /** the step of the next evaluation, null when none is left */
  next: number | null;
}

export interface TrainView {
  step(m: StepView): void;
  evaluation(e: EvalView): void;
  /** the final display (kept on screen) */
  done(): void;
}

export interface TrainViewOptions {
  total: number;
  /** the step the run starts at (a resumed run) */
  startStep: number;
  /** the step of the first evaluation, null when interval evaluation is off */
  firstEval: number | null;
  stream?: NodeJS.WriteStream;
  env?: NodeJS.ProcessEnv;
  now?: () => number;
}

/** Training-batch means over this many steps: one step's accuracy jumps with the examples that halted in it. */
const SMOOTH = 20;

const pct = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : 'n/a');
const fixed = (v: number) => (Number.isFinite(v) ? v.toFixed(4) : String(v));
const metricName = (m: string) => m.replace(/_accuracy$/, '').replace(/_/g, ' ');

/** The numbers both displays show, as text. */
export interface TrainFields {
  progress: string;
  percent: string;
  rate: string;
  eta: string;
  elapsed: string;
  loss: string;
  accuracy: string;
  exact: string;
  /** `exact 87.5% at step 1500`, or null before the first evaluation */
  lastEval: string | null;
  best: string | null;
  next: string | null;
}

export class TrainViewState {
  private readonly window: RateWindow;
  private readonly recent: StepView[] = [];
  private readonly started: number;
  step: number;
  lastEval: EvalView | null = null;

  constructor(readonly total: number, startStep: number, private readonly firstEval: number | null, private readonly now: () => number = Date.now) {
    this.window = new RateWindow(60_000, now);
    this.started = now();
    this.step = startStep;
    this.window.add(startStep);
  }

  addStep(m: StepView): void {
    this.step = m.step;
    this.window.add(m.step);
    this.recent.push(m);
    if (this.recent.length > SMOOTH) this.recent.shift();
  }

  fields(): TrainFields {
    const mean = (k: keyof StepView) => this.recent.reduce((s, r) => s + r[k], 0) / Math.max(1, this.recent.length);
    const e = this.lastEval;
    const next = e ? e.next : this.firstEval;
    return {
      progress: `${this.step}/${this.total}`,
      percent: `${Math.floor((100 * this.step) / Math.max(1, this.total))}%`,
      rate: formatRate(this.window.rate()),
      eta: formatSeconds(this.window.eta(this.total)),
      elapsed: formatSeconds((this.now() - this.started) / 1000),
      loss: this.recent.length ? fixed(mean('loss')) : '?',
      accuracy: this.recent.length ? pct(mean('accuracy')) : '?',
      exact: this.recent.length ? pct(mean('exact_accuracy')) : '?',
      lastEval: e ? `${metricName(e.metric)} ${pct(e.value)} at step ${e.step}` : null,
      best: e ? `${pct(e.best.value)} at step ${e.best.step}` : null,
      next: next !== null && next <= this.total ? `next evaluation at step ${next}` : null,
    };
  }
}

/** One line of the fields, for logs (non-TTY); the live view shows the same. */
export function plainLine(f: TrainFields): string {
  const test = f.lastEval ? ` | test ${f.lastEval}, best ${f.best}` : '';
  return `step ${f.progress} (${f.percent}) ${f.rate} ETA ${f.eta} | loss ${f.loss} acc ${f.accuracy} exact ${f.exact}${test}`;
}

/** Colours: the terminal has them, and NO_COLOR is unset or empty (FORCE_COLOR forces them). */
export function colorsAllowed(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return typeof stream.hasColors === 'function' && stream.hasColors(env as Record<string, string>);
}

export function isLiveTerminal(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv): boolean {
  return !!stream.isTTY && !env.CI && env.TRM_QUIET !== '1';
}

export function createTrainView(opts: TrainViewOptions): TrainView {
  const stream = opts.stream ?? process.stderr;
  const env = opts.env ?? process.env;
  const state = new TrainViewState(opts.total, opts.startStep, opts.firstEval, opts.now);
  // not a terminal: the log lines of io/progress.ts, each one the same fields as the live view (plainLine)
  if (!isLiveTerminal(stream, env)) return plainView(state, createProgress('train', opts.total, { stream, unit: 'steps', line: (s) => `train: ${s.info}`, now: opts.now }));

  const color = colorsAllowed(stream, env);
  const paint = (code: string, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const sep = paint('2', ' │ ');
  const indent = '      ';
  const barWidth = 24;
  const barOf = (frac: number) => {
    const full = Math.round(Math.min(1, Math.max(0, frac)) * barWidth);
    return paint('36', '█'.repeat(full)) + paint('2', '░'.repeat(barWidth - full));
  };
  const lines: ((f: TrainFields) => string)[] = [
    (f) => `${paint('1', 'train')} ${barOf(state.step / Math.max(1, opts.total))} ${f.progress} ${f.percent.padStart(4)}${sep}${f.rate}${sep}ETA ${f.eta}${sep}elapsed ${f.elapsed}`,
    (f) => `${indent}loss ${f.loss}${sep}token acc ${f.accuracy}${sep}exact ${f.exact}   ${paint('2', `(training batches, last ${SMOOTH} steps)`)}`,
  ];
  if (opts.firstEval !== null) {
    lines.push((f) => `${indent}${f.lastEval ? `test ${paint('1', f.lastEval)}${sep}best ${paint(color ? '32' : '', f.best!)}` : 'test: not evaluated yet'}${f.next ? `${sep}${f.next}` : ''}`);
  }
  const options: Options = {
    // linewrap false: whole lines, the terminal cuts what does not fit (true cuts at the width counting colour codes)
    stream, fps: 5, hideCursor: false, linewrap: false, clearOnComplete: false, stopOnComplete: false, gracefulExit: false,
    emptyOnZero: false, autopadding: false,
  };
  const multi = new MultiBar(options);
  const bars = lines.map((render) => multi.create(opts.total, state.step, {}, { format: (_o: Options, _p: Params) => render(state.fields()) }));
  // cli-progress turns the terminal's line wrapping off while it draws (linewrap: false); a log line above the display
  // is written with wrapping on, so a long one is wrapped, not cut, each row cleared to its end (ESC[K) of what the
  // display drew there before
  setLogSink((message) => multi.log(`\x1b[?7h${message.split('\n').map((l) => `${l}\x1b[K`).join('\n')}\n\x1b[?7l`));
  let finished = false;
  return {
    step(m) {
      state.addStep(m);
      for (const b of bars) b.update(m.step);
    },
    evaluation(e) {
      state.lastEval = e;
      for (const b of bars) b.update(state.step);
    },
    done() {
      if (finished) return;
      finished = true;
      setLogSink(null);
      multi.stop();
    },
  };
}

/** Not a terminal: the plain progress of io/progress.ts, its extra text the same fields as the live view's. */
function plainView(state: TrainViewState, progress: Progress): TrainView {
  let last = state.step;
  progress.tick(state.step);
  return {
    step(m) {
      state.addStep(m);
      progress.tick(m.step - last, plainLine(state.fields()));
      last = m.step;
    },
    evaluation(e) {
      state.lastEval = e;
      progress.tick(0, plainLine(state.fields()));
    },
    done() {
      progress.done(plainLine(state.fields()));
    },
  };
}
