// The checkpoint part of `trm status` (imported only when status runs: it needs the train stage, hence tfjs):
// every run folder in train.partial with its newest verified checkpoint and whether this config resumes it, and
// evaluate's finished batches. Reads only: nothing is set aside or repaired here.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CheckpointStore } from '../io/checkpoint-store.ts';
import type { StageContext } from '../stages/context.ts';
import { plannedRun } from '../stages/train.ts';
import { TrainRuns } from '../catalog/checkpoints.ts';
import { diffImplementation, diffMeaning, type RunImplementation, type RunMeaning, type TrainRunInfo } from '../stages/train-runs.ts';
import { evaluateProgress } from '../stages/evaluate-batches.ts';
import type { CheckpointStatus } from './status.ts';
import { entryFolder } from '../catalog/entries.mjs';

export async function trainCheckpoints(ctx: StageContext): Promise<{ checkpoints: CheckpointStatus[]; evaluate: string[] }> {
  const root = entryFolder(ctx.artifacts, ctx.config.name, 'train.checkpoints');
  const runs = new TrainRuns(root, () => {});
  let planned: { id: string; meaning: RunMeaning; implementation: RunImplementation } | null = null;
  let unknown = '';
  const checkpoints: CheckpointStatus[] = [];
  if (fs.existsSync(root)) {
    try {
      planned = await plannedRun(ctx);
    } catch (e) {
      unknown = (e as Error).message;
    }
    for (const id of runs.ids()) checkpoints.push(runStatus(ctx, runs.store(id), planned, unknown));
    for (const name of fs.readdirSync(root).filter((n) => n.startsWith('legacy-'))) {
      checkpoints.push({ dir: path.join(root, name), step: null, fit: 'unknown', details: ['checkpoint files of an earlier layout, made from other settings; this version does not resume them (delete the folder when not needed)'], damaged: [] });
    }
  }
  return { checkpoints, evaluate: evaluateProgress(ctx) };
}

function runStatus(ctx: StageContext, store: CheckpointStore<TrainRunInfo>, planned: { id: string; meaning: RunMeaning; implementation: RunImplementation } | null, unknown: string): CheckpointStatus {
  const damaged = store.damaged().map((d) => `${d} (set aside; delete it when done looking)`);
  const details: string[] = [];
  const latest = store.latestProblem();
  if (latest.problem) details.push(`latest.json ${latest.problem} (the next run rebuilds it)`);
  let good: { step: number; info: TrainRunInfo } | null = null;
  for (const e of store.list().reverse()) {
    try {
      if (!e.record) throw new Error(e.problem);
      const c = store.open(e.step);
      good = { step: c.step, info: c.record.info };
      break;
    } catch (err) {
      damaged.push(`step ${e.step}: ${(err as Error).message} (the next run sets it aside and uses an older one)`);
    }
  }
  const status: CheckpointStatus = { dir: store.dir, step: good?.step ?? null, fit: 'unknown', details, damaged };
  if (!good) return status;
  const name = ctx.config.name;
  if (!planned) {
    details.push(`cannot tell whether this config resumes it: ${unknown}`);
    return status;
  }
  const meaning = diffMeaning(good.info.meaning, planned.meaning);
  if (meaning.length) {
    status.fit = 'other settings';
    details.push(`kept, not resumed by this config, which changes ${meaning.join('; ')}`);
    details.push(`\`trm train --config ${name} --resume-from ${store.dir}\` continues it under this config`);
    return status;
  }
  const impl = diffImplementation(good.info.implementation, planned.implementation);
  status.fit = impl.length ? 'other implementation' : 'resumable';
  details.push(impl.length
    ? `\`trm train --config ${name}\` resumes it under another implementation (${impl.join('; ')}); --strict refuses`
    : `\`trm train --config ${name}\` resumes it`);
  return status;
}
