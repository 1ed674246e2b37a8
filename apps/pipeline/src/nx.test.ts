// Nx caching of the stage targets, in a temporary copy of the workspace (node_modules linked).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workspaceRoot } from './workspace.ts';

const root = workspaceRoot();
const SKIP = new Set(['node_modules', 'artifacts', '.nx', '.git', 'bench', 'coverage']);
let ws = '';
let cache = '';

function nx(...args: string[]): { out: string; cached: string[]; ran: string[] } {
  const r = spawnSync(process.execPath, [path.join(ws, 'node_modules/nx/dist/bin/nx.js'), ...args], {
    cwd: ws, encoding: 'utf8',
    // a cache of its own: Nx 24 otherwise shares one per repository and user (~/.nx/<id>/cache) with every checkout
    env: { ...process.env, NX_CACHE_DIRECTORY: cache, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_ISOLATE_PLUGINS: 'false', NX_TUI: 'false', TRM_QUIET: '1', TRM_ARTIFACTS: '', CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  const out = `${r.stdout}\n${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
  if (r.status !== 0) throw new Error(`nx ${args.join(' ')} failed (${r.status}):\n${out}`);
  const tasks = [...out.matchAll(/> nx run pipeline:([\w-]+)[^\n]*/g)].filter((m) => m[1] !== 'stage-inputs');
  return {
    out,
    cached: tasks.filter((m) => m[0].includes('[local cache]') || m[0].includes('[existing outputs match the cache')).map((m) => m[1]),
    ran: tasks.filter((m) => !m[0].includes('cache')).map((m) => m[1]),
  };
}

function editConfig(edit: (c: Record<string, Record<string, unknown>>) => void): void {
  const file = path.join(ws, 'configs/sudoku-tiny.json');
  const c = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(c);
  fs.writeFileSync(file, JSON.stringify(c, null, 2));
}

beforeAll(() => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-nx-'));
  cache = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-nx-cache-'));
  for (const name of fs.readdirSync(root)) {
    if (SKIP.has(name) || name.startsWith('.scratch')) continue;
    fs.cpSync(path.join(root, name), path.join(ws, name), { recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`) });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(ws, 'node_modules'));
});

afterAll(() => {
  for (const dir of [ws, cache]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('nx run pipeline:<stage>', () => {
  it('runs fetch, augment, encode once, then serves them from the cache; only the sections a stage uses invalidate it', () => {
    const first = nx('run', 'pipeline:encode', '--config', 'sudoku-tiny');
    expect(first.ran).toEqual(['fetch', 'augment', 'encode']);
    const manifest = path.join(ws, 'artifacts/sudoku-tiny/encode/manifest.json');
    expect(fs.existsSync(manifest)).toBe(true);
    const encodeManifest = fs.readFileSync(manifest, 'utf8');

    const second = nx('run', 'pipeline:encode', '--config', 'sudoku-tiny');
    expect(second.cached).toEqual(['fetch', 'augment', 'encode']);
    expect(second.ran).toEqual([]);

    editConfig((c) => { c.train.lr = 0.002; c.arch.hidden_size = 32; });
    const third = nx('run', 'pipeline:encode', '--config', 'sudoku-tiny');
    expect(third.cached).toEqual(['fetch', 'augment', 'encode']);

    editConfig((c) => { c.augment.num_aug = 1; });
    const fourth = nx('run', 'pipeline:encode', '--config', 'sudoku-tiny');
    expect(fourth.cached).toEqual(['fetch']);
    expect(fourth.ran).toEqual(['augment', 'encode']);
    expect(fs.readFileSync(manifest, 'utf8')).not.toEqual(encodeManifest);

    // --set reaches the CLI (and is part of the task hash)
    const fifth = nx('run', 'pipeline:fetch', '--config', 'sudoku-tiny', '--set', 'fetch.test_size=4');
    expect(fifth.ran).toEqual(['fetch']);
    const fetched = JSON.parse(fs.readFileSync(path.join(ws, 'artifacts/sudoku-tiny/fetch/manifest.json'), 'utf8'));
    expect(fetched.files['puzzles.arrow'].rows).toBe(24 + 4);
  });
});
