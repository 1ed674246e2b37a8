// Speed and time left of long work from a moving window: the rate of the last `windowMs` (at least the last two
// samples), so a slow start (worker start-up, V8 compiling the first steps) or a pause (an interval evaluation) is
// forgotten after a while instead of skewing the estimate of a day-long run. Shared by the progress displays.

export class RateWindow {
  private readonly samples: { done: number; at: number }[] = [];

  constructor(private readonly windowMs = 60_000, private readonly now: () => number = Date.now) {}

  /** records that `done` items are complete now (a count that only grows) */
  add(done: number): void {
    const at = this.now();
    this.samples.push({ done, at });
    // keep one sample older than the window, so the window is always covered
    while (this.samples.length > 2 && at - this.samples[1].at > this.windowMs) this.samples.shift();
  }

  /** items per second over the window, null before two samples or when no time passed */
  rate(): number | null {
    if (this.samples.length < 2) return null;
    const a = this.samples[0];
    const b = this.samples[this.samples.length - 1];
    const secs = (b.at - a.at) / 1000;
    return secs > 0 && b.done > a.done ? (b.done - a.done) / secs : null;
  }

  /** seconds until `total` at the window's rate, null when unknown */
  eta(total: number): number | null {
    const r = this.rate();
    const done = this.samples.at(-1)?.done ?? 0;
    return r ? Math.max(0, (total - done) / r) : null;
  }
}

/** 42s, 3m07s, 5h02m, 2d03h; `?` for unknown */
export function formatSeconds(s: number | null): string {
  if (s === null || !Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${Math.floor(s % 60).toString().padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60).toString().padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600).toString().padStart(2, '0')}h`;
}

/** 28.1/s, 0.42/s, 1 per 3.2 s */
export function formatRate(perSecond: number | null, unit = 'steps'): string {
  if (perSecond === null) return `? ${unit}/s`;
  if (perSecond >= 10) return `${perSecond.toFixed(1)} ${unit}/s`;
  if (perSecond >= 0.1) return `${perSecond.toFixed(2)} ${unit}/s`;
  return `${(1 / perSecond).toFixed(1)} s/${unit.replace(/s$/, '')}`;
}
