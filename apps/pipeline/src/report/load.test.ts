import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { safetensorsInput } from '../catalog/formats.ts';
import { countParams, gitInfo, recordedWorkers, trainingTime } from './load.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-report-load-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function dir(name: string, run?: Record<string, unknown>): string {
  const d = path.join(tmp, name);
  fs.mkdirSync(d);
  if (run) fs.writeFileSync(path.join(d, 'run.json'), JSON.stringify(run));
  return d;
}

describe('report loaders', () => {
  it('gitInfo prefers the commit the train stage recorded', () => {
    expect(gitInfo({ git: 'abc123', gitDirty: true }, tmp)).toEqual({ commit: 'abc123', recorded: true, dirty: true });
  });

  it('gitInfo falls back to HEAD of the repository, and to null outside git', () => {
    const head = gitInfo({ seconds: 1 }, process.cwd());
    expect(head?.recorded).toBe(false);
    expect(head?.commit).toMatch(/^[0-9a-f]{40}$/);
    // tmp is outside any repository
    expect(gitInfo(null, tmp)).toBeNull();
  });

  it('trainingTime counts only the steps run after a resume', () => {
    expect(trainingTime({ steps: 100, resumedFrom: 40, secondsTraining: 30 }, null, 100)).toEqual({ seconds: 30, steps: 60, workers: null });
    expect(trainingTime({ seconds: 12 }, null, 8)).toEqual({ seconds: 12, steps: 8, workers: null });
    expect(trainingTime(null, null, 8)).toEqual({ seconds: null, steps: null, workers: null });
  });

  it('trainingTime reads the worker count the train stage recorded: run.json first, then state.json', () => {
    expect(trainingTime({ secondsTraining: 3, steps: 6, workers: 2 }, null, 6)).toEqual({ seconds: 3, steps: 6, workers: 2 });
    expect(trainingTime({ secondsTraining: 3, steps: 6, workers: 0 }, null, 6).workers).toBe(0);
    expect(recordedWorkers({ secondsTraining: 3 }, { step: 6, workers: 4 })).toBe(4);
    // not a count: ignored, as if not recorded
    expect(recordedWorkers({ workers: 'auto' }, null)).toBeNull();
  });

  it('countParams reads shapes from the safetensors header: puzzle embeddings apart, H_init/L_init left out', () => {
    const header = JSON.stringify({
      __metadata__: { format: 'pt' },
      'model.inner.lm_head.weight': { dtype: 'F32', shape: [11, 16], data_offsets: [0, 704] },
      '_orig_mod.model.inner.H_init': { dtype: 'F32', shape: [16], data_offsets: [704, 768] },
      'model.inner.L_init': { dtype: 'F32', shape: [16], data_offsets: [768, 832] },
      'model.inner.puzzle_emb.weights': { dtype: 'F32', shape: [3, 16], data_offsets: [832, 1024] },
    });
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(header.length));
    const f = path.join(tmp, 'model.safetensors');
    fs.writeFileSync(f, Buffer.concat([len, Buffer.from(header), Buffer.alloc(1024)]));
    expect(countParams(safetensorsInput(f).header())).toEqual({ model: 176, puzzleEmb: 48 });
    fs.writeFileSync(f, Buffer.alloc(8, 0xff));
    expect(() => safetensorsInput(f).header()).toThrow(/bad safetensors header length/);
  });
});

describe('readExamples', () => {
  // an in-memory table: rows() and all() only, as readExamples uses them
  const table = (name: string, rows: Record<string, unknown>[]) => ({
    name, rowCount: rows.length, rows: async function* () { yield* rows; }, all: async () => rows,
    columns: async function* () {}, metadata: async () => ({}),
  }) as never;
  const t = (v: number) => Uint8Array.of(v, v);
  const prediction = (index: number, correct: boolean) => ({
    index, group_index: index, puzzle_identifier: 0, inputs: t(1), labels: t(2), preds: t(correct ? 2 : 3), q_halt: 0, steps: 2, correct,
  });

  it('draws examples with per-step predictions first, wrong and right alternately, so a late failure is not crowded out by fixes', async () => {
    const { readExamples } = await import('./load.ts');
    // six kept trajectories: five right (fixed) ones early in the test split, one wrong one late
    const kept = [1, 2, 3, 4, 5, 150];
    const preds = Array.from({ length: 200 }, (_, i) => prediction(i, i !== 150 && i !== 190));
    const trajectories = kept.flatMap((index) => [1, 2].map((step) => ({ index, step, preds: t(step) })));
    const out = await readExamples({ predictions: table('predictions.arrow', preds), trajectories: table('trajectories.arrow', trajectories) }, 4);
    expect(out.examples.map((e) => e.index)).toEqual([1, 2, 3, 150]);
    expect(out.examples.map((e) => e.trajectory.length)).toEqual([2, 2, 2, 2]);
    // more places than kept trajectories: then the first wrong one without trajectory, then the first right ones
    const more = await readExamples({ predictions: table('predictions.arrow', preds), trajectories: table('trajectories.arrow', trajectories) }, 9);
    expect(more.examples.map((e) => e.index)).toEqual([1, 2, 3, 4, 5, 150, 190, 0, 6]);
  });
});
