// The resume policy of the train stage (issue 12), on sudoku-tiny in this process: a stop request (what SIGINT does)
// interrupts a run after one step; then harmless, implementation and meaning changes, --restart, --resume-from,
// --strict, damaged checkpoints, a bad latest.json, a divergence before the first checkpoint, a full disk.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.ts';
import { configsDir, workspaceRoot } from '../workspace.ts';
import { readManifest, stageDir } from '../artifacts/manifest.ts';
import { clearStop, requestStop } from '../run/signals.ts';
import type { ResumeOptions, StageContext } from './context.ts';
import { chain } from './index.ts';
import { runTrainCaptured } from './testing/run-train.ts';

const root = workspaceRoot();
const SETS = ['train.epochs=20', 'train.max_steps=6', 'train.checkpoint_every=1', 'runtime.workers=0'];
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'trm-resume-'));

async function context(artifacts: string, sets: string[] = [], resume?: ResumeOptions): Promise<StageContext> {
  const { config, dataset } = await loadConfig('sudoku-tiny', { dir: configsDir(root), root, sets: [...SETS, ...sets] });
  return { config, dataset, root, artifacts, resume };
}

/** Runs train, returning its log lines and its error message (null when it succeeded). */
async function train(artifacts: string, sets: string[] = [], opts: { stop?: boolean; resume?: ResumeOptions; force?: boolean } = {}): Promise<{ log: string; error: string | null }> {
  const ctx = { ...(await context(artifacts, sets, opts.resume)), force: opts.force };
  if (opts.stop) requestStop('SIGINT');
  return runTrainCaptured(ctx);
}

async function encoded(sets: string[] = []): Promise<string> {
  const artifacts = tmp();
  const ctx = await context(artifacts, sets);
  for (const s of chain('encode')) await s.run(ctx);
  return artifacts;
}

const partial = (a: string) => path.join(a, 'sudoku-tiny', 'train.partial');
const runDirs = (a: string) => (fs.existsSync(partial(a)) ? fs.readdirSync(partial(a)).filter((n) => /^[0-9a-f]{12}$/.test(n)).map((n) => path.join(partial(a), n)) : []);
const steps = (runDir: string) => fs.readdirSync(runDir).filter((n) => /^step-\d+$/.test(n)).sort();
const model = (a: string) => fs.readFileSync(path.join(stageDir(a, 'sudoku-tiny', 'train'), 'model.safetensors'));
const trainManifest = (a: string) => readManifest(stageDir(a, 'sudoku-tiny', 'train'), 'train', 'sudoku-tiny').manifest;

let reference: Buffer;
beforeAll(async () => {
  process.env.TRM_QUIET = '1';
  const a = await encoded();
  expect((await train(a)).error).toBeNull();
  reference = model(a);
});
afterEach(() => clearStop());

describe('train resume policy', () => {
  it('harmless keys between interrupt and resume: the checkpoint is resumed and the result is the uninterrupted one', async () => {
    const a = await encoded();
    const stopped = await train(a, [], { stop: true });
    expect(stopped.error).toMatch(/^train: stopped by SIGINT at step 1\/6; checkpoint saved in \S+step-1; rerun the same command to resume$/);
    const resumed = await train(a, ['train.checkpoint_every=25', 'train.max_steps=7']);
    expect(resumed.error).toBeNull();
    expect(resumed.log).toMatch(/train: resuming from step 1 \(\S+step-1\)/);
    expect(resumed.log).not.toMatch(/other settings|another implementation|from scratch/);
    // lowering max_steps again below the finished run's step: refused, nothing deleted
    const lowered = await train(a, ['train.max_steps=3']);
    expect(lowered.error).toMatch(/the finished run in \S+ went to step 7, past the end of this run \(train.max_steps = 3\); raise train.max_steps to at least 7 to continue it, or pass --restart/);
    // back to 6 from a fresh interrupted run: the same bits as the uninterrupted run
    const b = await encoded();
    await train(b, [], { stop: true });
    expect((await train(b, ['train.checkpoint_every=4'])).error).toBeNull();
    expect(model(b).equals(reference)).toBe(true);
    expect(trainManifest(b).history).toBeUndefined();
    expect(runDirs(b)).toEqual([]);
  });

  it('on 2 worker threads too, a run stopped and resumed through the checkpoint store ends with the uninterrupted weights', async () => {
    const two = ['runtime.workers=2'];
    const straight = await encoded(two);
    expect((await train(straight, two)).error).toBeNull();
    const a = await encoded(two);
    expect((await train(a, two, { stop: true })).error).toMatch(/stopped by SIGINT at step 1\/6/);
    const resumed = await train(a, two);
    expect(resumed.error).toBeNull();
    expect(resumed.log).toMatch(/train: resuming from step 1 /);
    expect(resumed.log).toContain('train: on cpu, in float32, 2 worker threads');
    expect(model(a).equals(model(straight))).toBe(true);
  });

  it('raising max_steps after a finished run continues it; the result equals a run made in one go', async () => {
    const a = await encoded();
    expect((await train(a, ['train.max_steps=3'])).error).toBeNull();
    const more = await train(a);
    expect(more.error).toBeNull();
    expect(more.log).toMatch(/train: resuming from step 3 \(\S+\/sudoku-tiny\/train\)/);
    expect(model(a).equals(reference)).toBe(true);
  });

  it('an implementation change resumes with one line and a record in the manifest; --strict refuses', async () => {
    const a = await encoded();
    await train(a, [], { stop: true });
    const strict = await train(a, ['train.micro_batch_size=4'], { resume: { strict: true } });
    expect(strict.error).toMatch(/^train: --strict: the checkpoint of step 1 in \S+step-1 was made by another implementation \(train.micro_batch_size: 0 -> 4\); rerun without --strict/);
    expect(runDirs(a).map(steps)).toEqual([['step-1']]);
    const resumed = await train(a, ['train.micro_batch_size=4']);
    expect(resumed.error).toBeNull();
    expect(resumed.log).toContain('train: resuming step 1 under another implementation (train.micro_batch_size: 0 -> 4): the result differs in the last bits from an uninterrupted run, and the train manifest records it (--strict refuses)');
    const history = trainManifest(a).history as { implementations: { untilStep: number; changed: string[]; implementation: { micro_batch_size: number } }[] };
    expect(history.implementations).toHaveLength(1);
    expect(history.implementations[0]).toMatchObject({ untilStep: 1, changed: ['train.micro_batch_size: 0 -> 4'], implementation: { micro_batch_size: 0 } });
  });

  it('a meaning change never resumes silently and deletes nothing: the old run is kept and named with the changed keys', async () => {
    const a = await encoded();
    await train(a, [], { stop: true });
    const [old] = runDirs(a);
    const changed = await train(a, ['train.lr=0.002'], { stop: true });
    expect(changed.log).toContain(`train: not resuming ${old} (checkpoint of step 1): it was made with other settings:\n  train.lr: 0.001 -> 0.002\n  It is kept: rerun with its settings to continue it, or pass --resume-from ${old} to continue it under these.`);
    expect(changed.log).toMatch(/train: from scratch; checkpoints go to /);
    expect(runDirs(a)).toHaveLength(2);
    expect(steps(old)).toEqual(['step-1']);
    // the old run is still resumable with its settings, and ends as the uninterrupted run
    expect((await train(a)).error).toBeNull();
    expect(model(a).equals(reference)).toBe(true);
    expect(runDirs(a)).toHaveLength(1); // the finished run's folder is removed; the lr=0.002 run is kept
  });

  it('--resume-from continues a checkpoint under a changed schedule; an incompatible one is refused', async () => {
    const a = await encoded();
    await train(a, [], { stop: true });
    await train(a, [], { stop: true }); // step 2
    const [old] = runDirs(a);
    const bad = await train(a, ['arch.hidden_size=8', 'arch.num_heads=1'], { resume: { from: old } });
    expect(bad.error).toMatch(/--resume-from \S+step-2: cannot continue it under this config, which changes arch.hidden_size: 16 -> 8; arch.num_heads: 2 -> 1 \(the weights, optimizer state and data position carry over/);
    const lower = await train(a, ['train.lr=0.0005'], { resume: { from: old } });
    expect(lower.error).toBeNull();
    expect(lower.log).toContain(`train: continuing ${old}/step-2 (step 2) under this config: train.lr: 0.001 -> 0.0005; its weights, optimizer moments, EMA, data position and RNG carry over, the schedule is this config's from step 3`);
    const m = trainManifest(a);
    expect(m.history).toMatchObject({ origin: { checkpoint: `${old}/step-2`, step: 2, changed: ['train.lr: 0.001 -> 0.0005'] } });
    expect(JSON.parse(fs.readFileSync(path.join(stageDir(a, 'sudoku-tiny', 'train'), 'run.json'), 'utf8')).resumedFrom).toBe(2);
    expect(steps(old)).toEqual(['step-1', 'step-2']); // the source is untouched
  });

  it('--restart discards this run\'s checkpoint on purpose and says which', async () => {
    const a = await encoded();
    await train(a, [], { stop: true });
    const [old] = runDirs(a);
    const r = await train(a, [], { resume: { restart: true } });
    expect(r.error).toBeNull();
    expect(r.log).toContain(`train: --restart: discarding the checkpoint of step 1 in ${old}`);
    expect(r.log).toMatch(/train: from scratch/);
    expect(model(a).equals(reference)).toBe(true);
  });

  for (const damage of ['flipped', 'truncated'] as const) {
    it(`skips a checkpoint with ${damage} bytes for the previous good one, and ends as the uninterrupted run`, async () => {
      const a = await encoded();
      await train(a, [], { stop: true });
      await train(a, [], { stop: true });
      const [run] = runDirs(a);
      expect(steps(run)).toEqual(['step-1', 'step-2']);
      const f = path.join(run, 'step-2', 'state.safetensors');
      if (damage === 'flipped') {
        const b = fs.readFileSync(f);
        for (let i = 1000; i < 1064; i++) b[i] ^= 0xff;
        fs.writeFileSync(f, b);
      } else {
        fs.truncateSync(f, 500);
      }
      const r = await train(a, [], { force: true });
      expect(r.error).toBeNull();
      expect(r.log).toMatch(damage === 'flipped' ? /step-2\/state.safetensors: sha256 \S+ does not match checkpoint.json/ : /step-2\/state.safetensors: 500 bytes, checkpoint.json says \d+ \(truncated or modified\)/);
      expect(r.log).toContain(`the checkpoint of step 2 is damaged, set aside as ${run}/step-2.damaged; trying step 1`);
      expect(r.log).toMatch(/train: resuming from step 1 /);
      expect(model(a).equals(reference)).toBe(true);
      expect(fs.existsSync(path.join(run, 'step-2.damaged'))).toBe(true); // kept for a look, not deleted
    });
  }

  for (const [what, text, message] of [
    ['garbage', 'garbage', /latest.json is not valid JSON \(Unexpected token .*\); rebuilt from the checkpoints present: step 2/],
    ['a step that is not there', '{"step": 999}', /latest.json names step 999, but the newest complete checkpoint is step 2; rebuilt/],
  ] as const) {
    it(`repairs a latest.json holding ${what} and resumes`, async () => {
      const a = await encoded();
      await train(a, [], { stop: true });
      await train(a, [], { stop: true });
      const [run] = runDirs(a);
      fs.writeFileSync(path.join(run, 'latest.json'), text);
      const r = await train(a);
      expect(r.error).toBeNull();
      expect(r.log).toMatch(message);
      expect(r.log).toMatch(/train: resuming from step 2 /);
      expect(model(a).equals(reference)).toBe(true);
    });
  }

  it('a divergence before the first checkpoint says that nothing was saved', async () => {
    const a = await encoded();
    const r = await train(a, ['lr=1e30', 'train.checkpoint_every=1000']);
    expect(r.error).toMatch(/^train: training diverged at step \d+ \(epoch \d+\): loss is (NaN|Infinity|-Infinity)\. Nothing was saved: the divergence came before the first checkpoint \(train.checkpoint_every = 1000\); try a lower lr \(--set train.lr=5e\+29\) or a smaller model$/);
    expect(r.error).not.toMatch(/weights of step \d+ are kept/);
    expect(fs.existsSync(stageDir(a, 'sudoku-tiny', 'train'))).toBe(false);
  });

  it('a batch size the data cannot fill fails before anything is written', async () => {
    const a = await encoded();
    const r = await train(a, ['train.global_batch_size=500']);
    expect(r.error).toMatch(/invalid config\n {2}train.global_batch_size = 500: one epoch of the train split has only about \d+ examples/);
    expect(fs.readdirSync(path.join(a, 'sudoku-tiny')).sort()).toEqual(['augment', 'encode', 'fetch']);
  });
});

describe('a full disk while checkpointing', () => {
  const mnt = tmp();
  let mounted = false;
  beforeAll(() => {
    mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]).status === 0;
    if (!mounted) console.log('skipped: the tmpfs test needs `mount -t tmpfs` (root); the ENOSPC path is also covered by a mock in io/checkpoint-store.test.ts');
  });
  afterAll(() => { if (mounted) spawnSync('umount', [mnt]); });

  it('names the checkpoint, what it needs and what is free, and leaves no temporary behind', async (t) => {
    if (!mounted) t.skip();
    const a = await encoded();
    fs.symlinkSync(mnt, partial(a));
    const r = await train(a);
    expect(r.error).toMatch(/^cannot write the checkpoint of step 1 to \S+step-1: no space left on device; it needs \d+\.\d KB, \d+(\.\d)? (B|KB) is free there; free some space \(or point TRM_ARTIFACTS at a larger disk\) and rerun to resume from the last checkpoint$/);
    const leftovers = (dir: string): string[] => fs.readdirSync(dir).flatMap((n) => {
      const p = path.join(dir, n);
      return /\.(tmp|old)-\d+$/.test(n) ? [p] : fs.statSync(p).isDirectory() ? leftovers(p) : [];
    });
    expect(leftovers(path.join(a, 'sudoku-tiny'))).toEqual([]);
    expect(leftovers(mnt)).toEqual([]);
  });
});
