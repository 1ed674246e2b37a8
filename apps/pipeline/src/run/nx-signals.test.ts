// A signal sent to `nx run pipeline:train` reaches the trainer (through Nx's stage executor, which passes it on): a
// checkpoint is saved, the "stopped ... rerun to resume" line is in Nx's output, no process is left, and the next run
// resumes. In a temporary copy of the workspace (node_modules linked), as nx.test.ts does.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceRoot } from '../workspace.ts';
import { readLock } from './lock.ts';

const root = workspaceRoot();
const SKIP = new Set(['node_modules', 'artifacts', '.nx', '.git', 'bench', 'coverage']);
const LONG = ['train.epochs=4000', 'train.max_steps=3000', 'train.checkpoint_every=2'];
let ws = '';
let cache = '';
const env = () => ({ ...process.env, NX_CACHE_DIRECTORY: cache, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_ISOLATE_PLUGINS: 'false', NX_TUI: 'false', TRM_QUIET: '0', TRM_ARTIFACTS: '', CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' });
const nxArgs = (sets: string[]) => [path.join(ws, 'node_modules/nx/dist/bin/nx.js'), 'run', 'pipeline:train', '--config', 'sudoku-tiny', '--skip-nx-cache', ...sets.flatMap((s) => ['--set', s])];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(() => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-nxsig-'));
  cache = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-nxsig-cache-'));
  for (const name of fs.readdirSync(root)) {
    if (SKIP.has(name) || name.startsWith('.scratch')) continue;
    fs.cpSync(path.join(root, name), path.join(ws, name), { recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`) });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(ws, 'node_modules'));
});

afterAll(() => {
  for (const dir of [ws, cache]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('nx run pipeline:train and signals', () => {
  it('SIGTERM to nx: the trainer saves a checkpoint, says so, leaves no process; the next run resumes', async () => {
    const child = spawn(process.execPath, nxArgs(LONG), { cwd: ws, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const closed = new Promise<void>((r) => child.on('close', () => r()));
    const partial = path.join(ws, 'artifacts/sudoku-tiny/train.partial');
    const steps = () => (fs.existsSync(partial) ? fs.readdirSync(partial).flatMap((id) => fs.readdirSync(path.join(partial, id)).filter((n) => /^step-\d+$/.test(n))) : []);
    let trainer = 0;
    for (let i = 0; i < 3000 && !(trainer && steps().length); i++) {
      if (child.exitCode !== null) throw new Error(`nx ended early:\n${out}`);
      trainer = readLock(path.join(ws, 'artifacts/sudoku-tiny/run.lock'))?.pid ?? 0;
      await sleep(100);
    }
    expect(steps().length, out).toBeGreaterThan(0);
    child.kill('SIGTERM');
    await closed;
    const stopped = /trm: train: stopped by SIGTERM at step (\d+)\/3000; checkpoint saved in \S+step-\1; rerun the same command to resume/.exec(out);
    expect(stopped, out).not.toBeNull();
    expect(out).not.toContain('not waiting for the checkpoint'); // Nx's duplicate SIGTERM is not a second request
    let alive = true;
    for (let i = 0; i < 100 && alive; i++) {
      try { process.kill(trainer, 0); await sleep(100); } catch { alive = false; }
    }
    expect(alive).toBe(false);
    expect(fs.existsSync(path.join(ws, 'artifacts/sudoku-tiny/run.lock'))).toBe(false);

    const step = Number(stopped![1]);
    const next = spawnSync(process.execPath, nxArgs([...LONG.slice(0, 1), `train.max_steps=${step + 2}`, 'train.checkpoint_every=2']), { cwd: ws, env: env(), encoding: 'utf8' });
    expect(next.status, next.stdout + next.stderr).toBe(0);
    expect(next.stdout + next.stderr).toContain(`train: resuming from step ${step} (`);
  });
});
