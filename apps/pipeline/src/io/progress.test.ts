// Progress when the output is not a terminal (a log, Nx's captured output, CI): a line at a steady interval and at
// every tenth of the work, with count, rate and ETA of the recent work, and the caller's text.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createProgress } from './progress.ts';

function capture(isTTY = false) {
  const lines: string[] = [];
  let buf = '';
  const stream = {
    isTTY,
    write(s: string) { buf += s; const parts = buf.split('\n'); buf = parts.pop()!; lines.push(...parts); return true; },
  } as unknown as NodeJS.WritableStream & { isTTY: boolean };
  return { stream, lines };
}

let quiet: string | undefined;
beforeEach(() => { quiet = process.env.TRM_QUIET; delete process.env.TRM_QUIET; });
afterEach(() => { if (quiet === undefined) delete process.env.TRM_QUIET; else process.env.TRM_QUIET = quiet; });

describe('progress lines when the output is not a terminal', () => {
  it('a line every interval and every 10%, with the rate and ETA of the last minute, and the caller\'s text', () => {
    let t = 0;
    const { stream, lines } = capture();
    const bar = createProgress('train', 1000, { stream, unit: 'steps', intervalSeconds: 60, now: () => t });
    // 300 steps at one a second, then the rest at four a second: a run that speeds up after its start
    for (let i = 1; i <= 1000; i++) {
      t += i <= 300 ? 1000 : 250;
      bar.tick(1, `loss ${(1 / i).toFixed(4)} acc 0.900`);
    }
    bar.done('exact 0.500');
    expect(lines[0]).toBe('train: 1000 steps');
    expect(lines[1]).toBe('train: steps 60/1000 (6%), 1.00 steps/s, ETA 15m40s, elapsed 1m00s; loss 0.0167 acc 0.900');
    expect(lines).toContain('train: steps 100/1000 (10%), 1.00 steps/s, ETA 15m00s, elapsed 1m40s; loss 0.0100 acc 0.900');
    // a minute after the speed changed, rate and ETA are those of the recent steps, not the run's average (1.92/s)
    expect(lines.find((l) => l.startsWith('train: steps 900/1000'))).toBe('train: steps 900/1000 (90%), 4.00 steps/s, ETA 25s, elapsed 7m30s; loss 0.0011 acc 0.900');
    expect(lines.at(-1)).toBe('train: 1000/1000 done in 7m55s; exact 0.500');
    // steady: a line a minute at least (7m55s), plus the tenths, and not many more
    expect(lines.length).toBeGreaterThanOrEqual(2 + 7);
    expect(lines.length).toBeLessThanOrEqual(2 + 8 + 10);
  });

  it('slow work reads in seconds per item; a caller may write its own line; TRM_QUIET=1 prints nothing', () => {
    let t = 0;
    const { stream, lines } = capture();
    const bar = createProgress('evaluate', 10, { stream, unit: 'batches', intervalSeconds: 60, now: () => t, line: (s) => `evaluate: ${s.done} of ${s.total}, ${s.info}` });
    for (let i = 0; i < 3; i++) { t += 45_000; bar.tick(1, 'exact 0.5'); }
    expect(lines).toEqual(['evaluate: 10 batches', 'evaluate: 1 of 10, exact 0.5', 'evaluate: 2 of 10, exact 0.5', 'evaluate: 3 of 10, exact 0.5']);
    const slow = capture();
    t = 0;
    const s = createProgress('train', 100, { stream: slow.stream, unit: 'steps', intervalSeconds: 60, now: () => t });
    for (let i = 0; i < 4; i++) { t += 30_000; s.tick(1); }
    expect(slow.lines[1]).toBe('train: steps 2/100 (2%), 30.0 s/step, ETA 49m00s, elapsed 1m00s');
    process.env.TRM_QUIET = '1';
    const q = capture();
    const qb = createProgress('x', 10, { stream: q.stream });
    qb.tick(5);
    qb.done();
    expect(q.lines).toEqual([]);
  });
});
