// Issue 12 in the CLI: `trm status` tells everything (changed keys, checkpoints and whether this config resumes them,
// temporaries, the lock holder, exit code 1 on damage, one corrupt manifest does not stop it); the whole config is
// checked before the first stage; evaluate resumes its batches.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main, runStageCommand } from '../main.ts';
import { loadConfig } from '../config/load.ts';
import { configsDir, workspaceRoot } from '../workspace.ts';
import { stageDir } from '../artifacts/manifest.ts';
import { clearStop, requestStop } from '../run/signals.ts';
import { releaseLock } from '../run/lock.ts';
import type { StageContext } from '../stages/context.ts';
import { chain, stageInfo } from '../stages/index.ts';

const root = workspaceRoot();
const SETS = ['train.epochs=20', 'train.max_steps=4', 'train.checkpoint_every=1', 'runtime.workers=0', 'evaluate.batch_size=2'];
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'trm-status-'));
const DEAD = 2 ** 22 + 999; // above the default pid_max: no such process

async function context(artifacts: string, sets: string[] = []): Promise<StageContext> {
  const { config, dataset } = await loadConfig('sudoku-tiny', { dir: configsDir(root), root, sets: [...SETS, ...sets] });
  return { config, dataset, root, artifacts };
}

/** Runs the CLI in this process with TRM_ARTIFACTS = `artifacts`: exit code, stdout, stderr. */
async function cli(artifacts: string, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const env = process.env.TRM_ARTIFACTS;
  process.env.TRM_ARTIFACTS = artifacts;
  process.env.TRM_QUIET = '0';
  vi.spyOn(console, 'log').mockImplementation((s: unknown) => { out.push(String(s)); });
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err.push(String(s)); return true; });
  try {
    const code = await main(['node', 'trm', ...args]);
    return { code, out: out.join('\n').replace(/ {2,}(?=\S)/g, (m, i, all) => (all[i - 1] === '\n' ? m : ' ')), err: err.join('') };
  } finally {
    vi.restoreAllMocks();
    releaseLock(artifacts, 'sudoku-tiny');
    clearStop();
    process.env.TRM_QUIET = '1';
    if (env === undefined) delete process.env.TRM_ARTIFACTS;
    else process.env.TRM_ARTIFACTS = env;
  }
}

const sets = (extra: string[] = []) => [...SETS, ...extra].flatMap((s) => ['--set', s]);

beforeAll(() => { process.env.TRM_QUIET = '1'; });
afterEach(() => clearStop());

describe('trm status', () => {
  it('lists changed keys, checkpoints and whether this config resumes them, temporaries and the lock; exit 1 on damage', async () => {
    const a = tmp();
    requestStop('SIGINT');
    const stopped = await cli(a, 'train', '--config', 'sudoku-tiny', ...sets());
    expect(stopped.code).toBe(130);
    let s = await cli(a, 'status', '--config', 'sudoku-tiny', ...sets());
    expect(s.code).toBe(0);
    expect(s.out).toMatch(/ {2}encode up to date\n {2}train missing\n/);
    expect(s.out).toMatch(/train checkpoints:\n {2}\S+train.partial\/[0-9a-f]{12}: step 1, resumable\n {4}`trm train --config sudoku-tiny` resumes it/);

    // another worker count: resumable under another implementation; another lr: kept, with the changed key
    s = await cli(a, 'status', '--config', 'sudoku-tiny', ...sets(['train.micro_batch_size=2']));
    expect(s.out).toMatch(/step 1, other implementation\n {4}`trm train --config sudoku-tiny` resumes it under another implementation \(train.micro_batch_size: 0 -> 2\); --strict refuses/);
    s = await cli(a, 'status', '--config', 'sudoku-tiny', ...sets(['train.lr=0.002']));
    expect(s.out).toMatch(/step 1, other settings\n {4}kept, not resumed by this config, which changes train.lr: 0.001 -> 0.002\n {4}`trm train --config sudoku-tiny --resume-from \S+` continues it under this config/);

    // a stale stage names its keys; temporaries of dead processes and a lock are shown
    s = await cli(a, 'status', '--config', 'sudoku-tiny', ...sets(['augment.num_aug=1']));
    expect(s.out).toMatch(/ {2}augment stale: augment.num_aug: 2 -> 1\n {2}encode stale: upstream augment is stale\n/);
    fs.mkdirSync(path.join(a, 'sudoku-tiny', `evaluate.tmp-${DEAD}`));
    fs.writeFileSync(path.join(a, 'sudoku-tiny', 'run.lock'), JSON.stringify({ pid: DEAD, host: os.hostname(), started: '2026-01-01T00:00:00.000Z', command: 'trm train --config sudoku-tiny', processStart: null, token: 'x' }));
    s = await cli(a, 'status', '--config', 'sudoku-tiny', ...sets());
    expect(s.out).toMatch(new RegExp(`temporary files and folders:\\n {2}\\S+evaluate.tmp-${DEAD} \\(pid ${DEAD}, gone: the next run removes it\\)`));
    expect(s.out).toMatch(new RegExp(`lock: a lock left by pid ${DEAD} on this host, which ran \`trm train --config sudoku-tiny\` since 2026-01-01T00:00:00.000Z .*: no longer running \\(the next run takes it over\\)`));

    // damage: a corrupt manifest does not stop the listing; a damaged checkpoint; exit code 1
    fs.writeFileSync(path.join(stageDir(a, 'sudoku-tiny', 'augment'), 'manifest.json'), '{ not json');
    const run = fs.readdirSync(path.join(a, 'sudoku-tiny', 'train.partial'))[0];
    fs.appendFileSync(path.join(a, 'sudoku-tiny', 'train.partial', run, 'step-1', 'metrics.json'), ' ');
    s = await cli(a, 'status', '--config', 'sudoku-tiny', ...sets());
    expect(s.code).toBe(1);
    expect(s.out).toMatch(/ {2}augment damaged: \S+manifest.json: corrupt manifest/);
    expect(s.out).toMatch(/ {2}encode stale: upstream augment is damaged\n {2}train missing\n {2}evaluate missing\n {2}report missing/);
    expect(s.out).toMatch(/no usable checkpoint\n {4}damaged: step 1: \S+step-1\/metrics.json: \d+ bytes, checkpoint.json says \d+ \(truncated or modified\)/);
  });
});

describe('the whole config is checked before the first stage', () => {
  it('a bad arch fails at once and leaves nothing behind', async () => {
    const a = tmp();
    const r = await cli(a, 'report', '--config', 'sudoku-tiny', ...sets(['arch.num_heads=3']));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^trm: \S+configs\/sudoku-tiny.json: invalid config\n {2}arch.num_heads: 3 does not divide hidden_size 16\n$/);
    expect(fs.readdirSync(a)).toEqual([]);
    await expect(runStageCommand('fetch', { config: 'sudoku-tiny', set: ['train.beta1=1'] })).rejects.toThrow(/train.beta1 = 1: expected a number >= 0 and < 1/);
  });
});

describe('evaluate', () => {
  it('resumes a stopped evaluation from its last finished batch, with the same result as one in one go', async () => {
    const ref = tmp();
    const ctx = await context(ref);
    for (const s of chain('evaluate')) await s.run(ctx);
    const a = tmp();
    for (const s of chain('train')) await s.run(await context(a));
    requestStop('SIGTERM');
    const stopped = await cli(a, 'evaluate', '--config', 'sudoku-tiny', ...sets());
    expect(stopped.code).toBe(143);
    expect(stopped.err).toMatch(/trm: evaluate: stopped by SIGTERM after 1 of 4 batches; they are saved in \S+evaluate.partial; rerun the same command to resume\n/);
    expect((await cli(a, 'status', '--config', 'sudoku-tiny', ...sets())).out).toMatch(/evaluate: 1 of 4 batches \(2 of 8 examples\) finished in \S+evaluate.partial/);
    const resumed = await cli(a, 'evaluate', '--config', 'sudoku-tiny', ...sets());
    expect(resumed.code).toBe(0);
    expect(resumed.err).toMatch(/evaluate: resuming after 1 of 4 batches/);
    for (const f of ['predictions.arrow', 'trajectories.arrow', 'metrics.json']) {
      expect(fs.readFileSync(path.join(stageDir(a, 'sudoku-tiny', 'evaluate'), f)).equals(fs.readFileSync(path.join(stageDir(ref, 'sudoku-tiny', 'evaluate'), f))), f).toBe(true);
    }
    expect(fs.existsSync(path.join(a, 'sudoku-tiny', 'evaluate.partial'))).toBe(false);

    // batches computed from another trained model are not resumed
    requestStop('SIGINT');
    await cli(a, 'evaluate', '--force', '--config', 'sudoku-tiny', ...sets());
    await stageInfo('train').run(await context(a, ['train.max_steps=5']));
    releaseLock(a, 'sudoku-tiny');
    const other = await cli(a, 'evaluate', '--config', 'sudoku-tiny', ...sets(['train.max_steps=5']));
    expect(other.code).toBe(0);
    expect(other.err).toMatch(/evaluate: the 1 finished batches in \S+ were computed from other inputs \(config, trained model, data, code or backend\); discarding them/);
  });
});
