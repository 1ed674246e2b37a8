// `trm status --config NAME`: for every stage, whether its output is up to date, stale (with the keys that changed),
// missing or damaged (the same check every stage makes of its upstream folders, stages/context.ts); the train
// checkpoints (step, verified or not, whether this config resumes them), evaluate's finished batches, temporaries left
// by killed processes and the holder of the run lock. Reads only; one unreadable manifest does not stop the listing.
import * as path from 'node:path';
import { readManifest, stageDir, type Manifest } from '../artifacts/manifest.ts';
import { findTemporaries, type Temporary } from '../io/temporaries.ts';
import { holderState, lockPath, readLock, describeHolder } from '../run/lock.ts';
import { stageStates, type StageContext, type StageState } from '../stages/context.ts';

export interface StageStatus extends StageState {
  /** how the output came about, when not in one go (train: --resume-from, other implementations) */
  notes?: string[];
}

/** The run history a train manifest records, as lines. */
function historyNotes(m: Manifest): string[] {
  const l = m.history as { origin?: { checkpoint: string; step: number; changed: string[] } | null; implementations?: { untilStep: number; changed: string[] }[] } | undefined;
  if (!l) return [];
  const out: string[] = [];
  if (l.origin) out.push(`continued ${l.origin.checkpoint} from step ${l.origin.step}${l.origin.changed.length ? ` with ${l.origin.changed.join('; ')}` : ''}`);
  for (const i of l.implementations ?? []) out.push(`steps up to ${i.untilStep} ran under another implementation (${i.changed.join('; ')})`);
  return out;
}

/** Each stage up to date, stale (with why), missing or damaged: the check every stage makes of its upstream folders. */
export async function stageStatus(ctx: StageContext): Promise<StageStatus[]> {
  const out: StageStatus[] = [];
  for (const s of await stageStates(ctx)) {
    let notes: string[] = [];
    try {
      if (s.state !== 'missing' && s.state !== 'damaged') notes = historyNotes(readManifest(stageDir(ctx.artifacts, ctx.config.name, s.stage), s.stage, ctx.config.name).manifest);
    } catch {
      // read by stageStates already; nothing more to say
    }
    out.push(notes.length ? { ...s, notes } : s);
  }
  return out;
}

/** One train run folder as status shows it. */
export interface CheckpointStatus {
  dir: string;
  /** newest complete checkpoint, verified, or null */
  step: number | null;
  /** `resumable` by this config, `other implementation` (resumable unless --strict), `other settings` (kept), or unknown */
  fit: 'resumable' | 'other implementation' | 'other settings' | 'unknown';
  details: string[];
  damaged: string[];
}

export interface ConfigStatus {
  stages: StageStatus[];
  checkpoints: CheckpointStatus[];
  /** lines about evaluate's finished batches, if any */
  evaluate: string[];
  temporaries: Temporary[];
  lock: string | null;
  /** anything damaged: the exit code of `trm status` is 1 */
  damaged: boolean;
}

export async function configStatus(ctx: StageContext): Promise<ConfigStatus> {
  const stages = await stageStatus(ctx);
  const { trainCheckpoints } = await import('./status-train.ts');
  const { checkpoints, evaluate } = await trainCheckpoints(ctx);
  const base = path.join(ctx.artifacts, ctx.config.name);
  const temporaries = findTemporaries(base, 2);
  const holder = readLock(lockPath(ctx.artifacts, ctx.config.name));
  let lock: string | null = null;
  if (holder === undefined) lock = `${lockPath(ctx.artifacts, ctx.config.name)} is unreadable (the next run replaces it)`;
  else if (holder) {
    const state = holderState(holder);
    lock = state === 'running' ? `in use by ${describeHolder(holder)}` : state === 'gone' ? `a lock left by ${describeHolder(holder).replace(', running', ', which ran')}: no longer running (the next run takes it over)` : `locked by ${describeHolder(holder)} (cannot be checked from this host)`;
  }
  const damaged = stages.some((s) => s.state === 'damaged') || checkpoints.some((c) => c.damaged.length > 0);
  return { stages, checkpoints, evaluate, temporaries, lock, damaged };
}

export function formatStatus(config: string, artifacts: string, s: ConfigStatus | StageStatus[]): string {
  const status: ConfigStatus = Array.isArray(s) ? { stages: s, checkpoints: [], evaluate: [], temporaries: [], lock: null, damaged: false } : s;
  const rel = (p: string) => path.relative(process.cwd(), p) || p;
  const lines = [`${config} (${rel(path.join(artifacts, config))})`];
  for (const r of status.stages) {
    lines.push(`  ${r.stage.padEnd(9)} ${r.state}${r.why.length ? `: ${r.why.join('; ')}` : ''}${r.origin ? ` [${r.origin}]` : ''}`);
    for (const n of r.notes ?? []) lines.push(`            ${n}`);
  }
  if (status.checkpoints.length) {
    lines.push('train checkpoints:');
    for (const c of status.checkpoints) {
      lines.push(`  ${rel(c.dir)}: ${c.step === null ? 'no usable checkpoint' : `step ${c.step}, ${c.fit}`}`);
      for (const d of c.details) lines.push(`    ${d}`);
      for (const d of c.damaged) lines.push(`    damaged: ${d}`);
    }
  }
  for (const e of status.evaluate) lines.push(e);
  if (status.temporaries.length) {
    lines.push('temporary files and folders:');
    for (const t of status.temporaries) lines.push(`  ${rel(t.path)} (pid ${t.pid}, ${t.alive ? 'still running' : 'gone: the next run removes it'})`);
  }
  if (status.lock) lines.push(`lock: ${status.lock}`);
  return lines.join('\n');
}
