// Progress of long work on stderr, for a person at a terminal and for a log alike. Speed and ETA come from a moving
// window (io/rate.ts), so a slow start or a pause is forgotten after a while.
// - A terminal (stderr a TTY, not CI): one line redrawn in place, at most ~10 times a second.
// - Anything else (a log file, Nx's captured output, CI, nohup): a first line, then a line at a steady interval
//   (every TRM_PROGRESS_INTERVAL seconds, default 60) and at every tenth of the work, and a last line: count,
//   percent, rate, ETA, elapsed time and the caller's text (loss, accuracy, ...). A day-long run logs a line a minute.
// TRM_QUIET=1 silences both. The live training display (io/train-view.ts) uses these lines when it is not on a
// terminal, with its own fields (`line`).
import { formatRate, formatSeconds, RateWindow } from './rate.ts';

export interface Progress {
  tick(n?: number, info?: string): void;
  done(info?: string): void;
}

/** What a progress line is made of. */
export interface ProgressState {
  label: string;
  unit: string;
  done: number;
  total: number;
  /** items per second over the last minute, null while unknown */
  rate: number | null;
  /** seconds to go at that rate, null while unknown */
  eta: number | null;
  elapsed: number;
  info: string;
}

export interface ProgressOptions {
  stream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** what one item is, plural (`steps`, `examples`): `train: steps 120/3750` */
  unit?: string;
  /** seconds between log lines when not on a terminal (default TRM_PROGRESS_INTERVAL, else 60) */
  intervalSeconds?: number;
  /** the text of a log line (default: label, count, percent, rate, ETA, elapsed, info) */
  line?: (s: ProgressState) => string;
  /** the clock in ms (tests) */
  now?: () => number;
}

const percent = (s: ProgressState) => (s.total > 0 ? ` (${Math.floor((100 * s.done) / s.total)}%)` : '');

/** `train: steps 1200/3750 (32%), 4.10 steps/s, ETA 10m22s, elapsed 5m01s; loss 0.4512 acc 0.912` */
export function logLine(s: ProgressState): string {
  return `${s.label}: ${s.unit} ${s.done}/${s.total}${percent(s)}, ${formatRate(s.rate, s.unit)}, ETA ${formatSeconds(s.eta)}, ` +
    `elapsed ${formatSeconds(s.elapsed)}${s.info ? `; ${s.info}` : ''}`;
}

function ttyLine(s: ProgressState): string {
  const width = 24;
  const frac = s.total > 0 ? Math.min(1, s.done / s.total) : 0;
  const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
  return `${s.label} [${bar}] ${s.done}/${s.total} ${formatRate(s.rate, s.unit)} ETA ${formatSeconds(s.eta)}${s.info ? ` ${s.info}` : ''}`;
}

export function createProgress(label: string, total: number, opts: ProgressOptions | (NodeJS.WritableStream & { isTTY?: boolean }) = {}): Progress {
  const o: ProgressOptions = 'write' in opts ? { stream: opts } : opts;
  const stream = o.stream ?? process.stderr;
  const now = o.now ?? Date.now;
  const tty = !!stream.isTTY && !process.env.CI;
  const quiet = process.env.TRM_QUIET === '1';
  const interval = 1000 * (o.intervalSeconds ?? (Number(process.env.TRM_PROGRESS_INTERVAL) || 60));
  const unit = o.unit ?? 'items';
  const start = now();
  const window = new RateWindow(60_000, now);
  window.add(0);
  let done = 0;
  let info = '';
  let lastLine = start;
  let lastTenth = 0;
  const state = (): ProgressState => {
    const elapsed = (now() - start) / 1000;
    const moving = window.rate();
    const rate = moving ?? (elapsed > 0 && done > 0 ? done / elapsed : null);
    return { label, unit, done, total, rate, eta: rate && total > 0 ? Math.max(0, total - done) / rate : null, elapsed, info };
  };
  const write = (s: ProgressState) => stream.write(`${(o.line ?? logLine)(s)}\n`);
  if (!quiet && !tty) stream.write(`${label}: ${total} ${unit}\n`);
  return {
    tick(n = 1, text?: string) {
      done += n;
      if (text !== undefined) info = text;
      if (n) window.add(done);
      if (quiet) return;
      const t = now();
      if (tty) {
        if (t - lastLine < 100 && done < total) return;
        lastLine = t;
        stream.write(`\r${ttyLine(state())}\x1b[K`);
        return;
      }
      const tenth = total > 0 ? Math.floor((10 * done) / total) : 0;
      if (done >= total || (t - lastLine < interval && tenth <= lastTenth)) return;
      lastLine = t;
      lastTenth = tenth;
      write(state());
    },
    done(text?: string) {
      if (text !== undefined) info = text;
      if (quiet) return;
      const s = state();
      if (tty) stream.write(`\r${ttyLine(s)}\x1b[K\n`);
      else stream.write(`${label}: ${done}/${total} done in ${formatSeconds(s.elapsed)}${info ? `; ${info}` : ''}\n`);
    },
  };
}

/** where log() writes while a live display owns the terminal (io/train-view.ts): above the display */
let logSink: ((message: string) => void) | null = null;

export function setLogSink(sink: ((message: string) => void) | null): void {
  logSink = sink;
}

export function log(message: string): void {
  if (process.env.TRM_QUIET === '1') return;
  if (logSink) logSink(message.replace(/^\n+/, ''));
  else process.stderr.write(message + '\n');
}
