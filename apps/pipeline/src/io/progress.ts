// Progress bars on stderr: redrawn in place on a TTY (at most ~10 times a second), one start line
// and one end line otherwise; silent when TRM_QUIET=1 or CI is set and stderr is not a TTY.
export interface Progress {
  tick(n?: number, info?: string): void;
  done(info?: string): void;
}

function fmtTime(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${Math.floor(s % 60).toString().padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60).toString().padStart(2, '0')}m`;
}

export function createProgress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const tty = !!stream.isTTY && !process.env.CI;
  const quiet = process.env.TRM_QUIET === '1' || (!!process.env.CI && !tty);
  const start = Date.now();
  let done = 0;
  let last = 0;
  let extra = '';
  const line = () => {
    const secs = (Date.now() - start) / 1000;
    const rate = done / Math.max(secs, 1e-9);
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const width = 24;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    const eta = total > 0 && rate > 0 ? fmtTime((total - done) / rate) : '?';
    return `${label} [${bar}] ${done}/${total} ${rate.toFixed(rate < 10 ? 2 : 0)}/s ETA ${eta}${extra ? ' ' + extra : ''}`;
  };
  if (!quiet && !tty) stream.write(`${label}: ${total} items\n`);
  return {
    tick(n = 1, info?: string) {
      done += n;
      if (info !== undefined) extra = info;
      if (quiet || !tty) return;
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      stream.write(`\r${line()}\x1b[K`);
    },
    done(info?: string) {
      if (info !== undefined) extra = info;
      if (quiet) return;
      const secs = (Date.now() - start) / 1000;
      if (tty) stream.write(`\r${line()}\x1b[K\n`);
      else stream.write(`${label}: ${done}/${total} done in ${fmtTime(secs)}${extra ? ' ' + extra : ''}\n`);
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
