// Signals sent to the wrappers (`npm run trm`, bin/trm.js) reach the trainer, which saves a checkpoint and exits with
// 128 + the signal's number, leaving no process behind; one run per config: a second process fails at once naming
// the first (lock.test.ts covers the lock's other cases in this process).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { workspaceRoot } from '../workspace.ts';
import { readLock } from './lock.ts';

const root = workspaceRoot();
const BIN = path.join(root, 'apps/pipeline/bin/trm.js');
const LONG = ['train.epochs=4000', 'train.max_steps=3000', 'train.checkpoint_every=2'].flatMap((s) => ['--set', s]);
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'trm-run-'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Started { child: ChildProcess; stderr: () => string; closed: Promise<number | null> }

function start(cmd: string, args: string[], artifacts: string): Started {
  const child = spawn(cmd, args, { cwd: root, env: { ...process.env, TRM_ARTIFACTS: artifacts, TRM_QUIET: '0', CI: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  // 'close': every holder of the stderr pipe (the wrapper and the trainer) is gone
  const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { child, stderr: () => err, closed };
}

const partial = (a: string) => path.join(a, 'sudoku-tiny', 'train.partial');
function checkpoints(a: string): string[] {
  if (!fs.existsSync(partial(a))) return [];
  return fs.readdirSync(partial(a)).flatMap((id) => (fs.existsSync(path.join(partial(a), id)) ? fs.readdirSync(path.join(partial(a), id)).filter((n) => /^step-\d+$/.test(n)) : []));
}

/** Waits until the trainer holds the lock and has written a checkpoint; returns the trainer's pid. */
async function trainerRunning(a: string, s: Started): Promise<number> {
  for (let i = 0; i < 1200; i++) {
    const h = readLock(path.join(a, 'sudoku-tiny', 'run.lock'));
    if (h && checkpoints(a).length) return h.pid;
    if (s.child.exitCode !== null) throw new Error(`exited early (${s.child.exitCode}):\n${s.stderr()}`);
    await sleep(100);
  }
  throw new Error(`no checkpoint after 120 s:\n${s.stderr()}`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 300 && alive(pid); i++) await sleep(100);
  return !alive(pid);
}

describe('signals reach the trainer through every wrapper; one run per config', () => {
  it('SIGTERM to `npm run trm`: a checkpoint, exit 143, no orphan', async () => {
    const a = tmp();
    const s = start('npm', ['run', '--silent', 'trm', '--', 'train', '--config', 'sudoku-tiny', ...LONG], a);
    const trainer = await trainerRunning(a, s);
    s.child.kill('SIGTERM');
    expect(await s.closed).toBe(143);
    expect(await gone(trainer)).toBe(true);
    expect(s.stderr()).toMatch(/trm: train: stopped by SIGTERM at step (\d+)\/3000; checkpoint saved in \S+step-\1; rerun the same command to resume\n/);
    expect(fs.existsSync(path.join(a, 'sudoku-tiny', 'run.lock'))).toBe(false);
  });

  it('a second run of the config fails at once naming the first and breaks nothing; SIGTERM to bin/trm.js stops the first', async () => {
    const a = tmp();
    const first = start(process.execPath, [BIN, 'train', '--config', 'sudoku-tiny', ...LONG], a);
    const pid = await trainerRunning(a, first);
    expect(pid).toBe(first.child.pid); // bin/trm.js runs the pipeline in its own process
    const second = spawnSync(process.execPath, [BIN, 'train', '--config', 'sudoku-tiny', ...LONG, '--set', 'train.lr=2e-3', '--set', 'train.max_steps=60'], { cwd: root, env: { ...process.env, TRM_ARTIFACTS: a, TRM_QUIET: '0' }, encoding: 'utf8' });
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`trm: \\S+/sudoku-tiny is in use by pid ${pid} on this host, running \`trm train --config sudoku-tiny --set train.epochs=4000 [^\`]*\` since \\S+ \\(\\d+ s\\); wait for it to end, or stop it with \`kill -INT ${pid}\``));
    expect(first.child.exitCode).toBeNull();
    first.child.kill('SIGTERM');
    expect(await first.closed).toBe(143);
    expect(first.stderr()).toMatch(/trm: train: stopped by SIGTERM at step \d+\/3000; checkpoint saved in /);
    expect(first.stderr()).not.toMatch(/ENOENT|Error:/);
    expect(fs.existsSync(path.join(a, 'sudoku-tiny', 'run.lock'))).toBe(false);
  });

  it('SIGHUP to npm (which does not forward it): the trainer sees its parent go, stops at a checkpoint and exits', async () => {
    const a = tmp();
    const s = start('npm', ['run', '--silent', 'trm', '--', 'train', '--config', 'sudoku-tiny', ...LONG], a);
    const trainer = await trainerRunning(a, s);
    s.child.kill('SIGHUP');
    await s.closed;
    expect(await gone(trainer)).toBe(true);
    expect(s.stderr()).toMatch(/trm: the parent process \(pid \d+\) is gone\n/);
    expect(s.stderr()).toMatch(/trm: train: stopped by SIGHUP at step \d+\/3000; checkpoint saved/);
  });
});
