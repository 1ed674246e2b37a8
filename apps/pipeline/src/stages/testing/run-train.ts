// Test helper: the train stage run in this process as a command runs it, its log captured.
import { vi } from 'vitest';
import { clearStop } from '../../run/signals.ts';
import { releaseLock } from '../../run/lock.ts';
import type { StageContext } from '../context.ts';
import { runTrain } from '../train.ts';

/**
 * Runs train on `ctx` with its stderr captured; `onLine` sees each write as it comes (to request a stop at a given
 * point). Returns the log and the error message (null when it succeeded). The stop request and the run lock are
 * cleared afterwards: a command holds them until it exits, and these runs share one process.
 */
export async function runTrainCaptured(ctx: StageContext, onLine: (s: string) => void = () => {}): Promise<{ log: string; error: string | null }> {
  const lines: string[] = [];
  process.env.TRM_QUIET = '0';
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    lines.push(String(s));
    onLine(String(s));
    return true;
  });
  try {
    await runTrain(ctx);
    return { log: lines.join(''), error: null };
  } catch (e) {
    return { log: lines.join(''), error: (e as Error).message };
  } finally {
    clearStop();
    releaseLock(ctx.artifacts, ctx.config.name);
    spy.mockRestore();
    process.env.TRM_QUIET = '1';
  }
}
