// The evaluate stage's model lifetime: built in this thread or on worker threads, freed when the work ends or fails.
import { describe, expect, it } from 'vitest';
import { initBackend } from '@trm/tensor-node';
import { toyArch, type TrmModel } from '@trm/trm';
import { type DataParallelModel } from '@trm/trm-parallel';
import { withEvalModel } from './evaluate.ts';

describe('withEvalModel', () => {
  it('disposes an in-thread model when the work throws', async () => {
    await initBackend('cpu');
    let seen: TrmModel | null = null;
    const failed = withEvalModel(toyArch(), 0, { workers: 0, notes: [] }, 'cpu', async (m) => {
      seen = m;
      throw new Error('evaluation failed on purpose');
    });
    await expect(failed).rejects.toThrow('evaluation failed on purpose');
    expect([...seen!.params.values()].every((p) => p.isDisposed)).toBe(true);
  });

  it('runs on worker threads and closes them when the work ends or throws', async () => {
    let seen: DataParallelModel | null = null;
    const counts = await withEvalModel(toyArch(), 0, { workers: 1, notes: [] }, 'cpu', async (m) => {
      seen = m as DataParallelModel;
      return seen.diagnostics.tensorCounts();
    });
    expect(counts).toHaveLength(1);
    expect(() => seen!.diagnostics.tensorCounts()).toThrow('after close()');

    const failed = withEvalModel(toyArch(), 0, { workers: 1, notes: [] }, 'cpu', async (m) => {
      seen = m as DataParallelModel;
      throw new Error('evaluation failed on purpose');
    });
    await expect(failed).rejects.toThrow('evaluation failed on purpose');
    expect(seen!.workers).toBe(1);
    expect(() => seen!.diagnostics.tensorCounts()).toThrow('after close()');
  });
});
