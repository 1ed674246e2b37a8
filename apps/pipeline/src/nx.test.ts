// Nx caching of the stage targets (issue 14) and Nx forwarding of --set/--compare (issue 13), in one temporary copy of
// the workspace shared by every case (the cases run in order and build on each other), with an Nx cache of its own.
// After every `nx run`, `trm status` must call every stage it ran up to date: Nx and the manifests agree.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config/load.ts';
import { stageStates } from './stages/context.ts';
import { workspaceRoot } from './workspace.ts';

const root = workspaceRoot();
const SKIP = new Set(['node_modules', 'artifacts', '.nx', '.git', 'bench', 'coverage']);
const STAGES = ['fetch', 'augment', 'encode', 'train', 'evaluate', 'report'] as const;
type Stage = (typeof STAGES)[number];
let ws = '';
let cache = '';

const env = () => ({
  ...process.env,
  // a cache of its own: Nx 24 otherwise shares one per repository and user (~/.nx/<id>/cache) with every checkout
  NX_CACHE_DIRECTORY: cache, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_ISOLATE_PLUGINS: 'false', NX_TUI: 'false',
  TRM_QUIET: '1', TRM_ARTIFACTS: '', TRM_ROOT: '', CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0',
});

function spawn(cmd: string, args: string[], extraEnv: Record<string, string> = {}): string {
  const r = spawnSync(cmd, args, { cwd: ws, encoding: 'utf8', env: { ...env(), ...extraEnv } });
  const out = `${r.stdout}\n${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${r.status}):\n${out}`);
  return out;
}

/** `nx ...` in the copy; the stages Nx ran and the ones it restored from its cache. */
function nx(...args: string[]): { out: string; cached: string[]; ran: string[] } {
  const out = spawn(process.execPath, [path.join(ws, 'node_modules/nx/dist/bin/nx.js'), ...args]);
  const tasks = [...out.matchAll(/> nx run pipeline:([\w-]+)[^\n]*/g)].filter((m) => m[1] !== 'stage-inputs');
  const hit = (line: string) => line.includes('[local cache]') || line.includes('[existing outputs match the cache');
  return { out, cached: tasks.filter((m) => hit(m[0])).map((m) => m[1]), ran: tasks.filter((m) => !hit(m[0])).map((m) => m[1]) };
}

/** `trm <args>` in the copy, without Nx. */
const trm = (args: string[], extraEnv: Record<string, string> = {}) => spawn(process.execPath, ['--import', 'tsx', 'apps/pipeline/src/main.ts', ...args], extraEnv);

/** `trm status` of the copy, computed in this process (one tfjs load for the whole file, not one per check). */
async function status(config: string, sets: string[] = []): Promise<Record<string, string>> {
  const { config: resolved, dataset } = await loadConfig(config, { dir: file('configs'), root: ws, sets });
  const states = await stageStates({ config: resolved, dataset, root: ws, artifacts: file('artifacts') });
  return Object.fromEntries(states.map((s) => [s.stage, `${s.state}${s.why.length ? `: ${s.why.join('; ')}` : ''}`]));
}

/** `nx run pipeline:<stage> --config NAME ...`, then the check that trm status calls that stage and every one before it up to date. */
async function run(stage: Stage, config: string, ...extra: string[]): Promise<{ out: string; cached: string[]; ran: string[] }> {
  const r = nx('run', `pipeline:${stage}`, '--config', config, ...extra);
  const sets = extra.flatMap((a, i) => (a === '--set' ? [extra[i + 1]] : []));
  const s = await status(config, sets);
  for (const st of STAGES.slice(0, STAGES.indexOf(stage) + 1)) expect(s[st], `${config} ${st} after nx run pipeline:${stage}`).toBe('up to date');
  return r;
}

const file = (...p: string[]) => path.join(ws, ...p);
const sha = (...p: string[]) => createHash('sha256').update(fs.readFileSync(file(...p))).digest('hex');
const readJson = (...p: string[]) => JSON.parse(fs.readFileSync(file(...p), 'utf8'));
const writeJson = (p: string, v: unknown) => fs.writeFileSync(file(p), `${JSON.stringify(v, null, 2)}\n`);
const editJson = (p: string, edit: (c: Record<string, Record<string, unknown>>) => void) => {
  const c = readJson(p);
  edit(c);
  writeJson(p, c);
};
const editText = (p: string, from: string, to: string) => {
  const text = fs.readFileSync(file(p), 'utf8');
  expect(text).toContain(from);
  fs.writeFileSync(file(p), text.replace(from, to));
};

beforeAll(() => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-nx-'));
  cache = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-nx-cache-'));
  for (const name of fs.readdirSync(root)) {
    if (SKIP.has(name) || name.startsWith('.scratch')) continue;
    fs.cpSync(path.join(root, name), path.join(ws, name), { recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`) });
  }
  // node_modules: links to the real packages, in a folder of the copy's own (a test installs a package into it); the
  // workspace packages (@trm/*) keep their relative links, so they resolve to the copy's libs
  const nm = path.join(root, 'node_modules');
  fs.mkdirSync(file('node_modules/@trm'), { recursive: true });
  for (const name of fs.readdirSync(nm)) if (name !== '@trm') fs.symlinkSync(path.join(nm, name), file('node_modules', name));
  for (const name of fs.readdirSync(path.join(nm, '@trm'))) fs.symlinkSync(fs.readlinkSync(path.join(nm, '@trm', name)), file('node_modules/@trm', name));
});

afterAll(() => {
  for (const dir of [ws, cache]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('nx run pipeline:<stage> --config NAME', () => {
  it('hashes a generated dataset lib with no hand edit: editing it reruns the stages of its config, not the others', async () => {
    spawn(process.execPath, [file('node_modules/nx/dist/bin/nx.js'), 'g', './tools/nx-plugin:dataset-lib', 'toyx']);
    expect((await run('encode', 'sudoku-tiny')).ran).toEqual(['fetch', 'augment', 'encode']);
    const data = ['fetch', 'augment', 'encode'];
    expect((await run('encode', 'toyx-tiny')).ran).toEqual(data);
    const before = sha('artifacts/toyx-tiny/fetch/puzzles.arrow');
    expect((await run('encode', 'toyx-tiny')).cached).toEqual(data);

    editText('libs/toyx/src/task.ts', 'rng.int(10)', 'rng.int(5)');
    const after = await run('encode', 'toyx-tiny');
    expect(after.cached).toEqual([]);
    expect(after.ran).toEqual(data);
    expect(sha('artifacts/toyx-tiny/fetch/puzzles.arrow')).not.toBe(before);
    expect((await run('encode', 'sudoku-tiny')).cached).toEqual(['fetch', 'augment', 'encode']);
  });

  it('does the same for a dataset lib named by a path outside libs/ and for one installed as a package', async () => {
    fs.cpSync(file('libs/toyx'), file('datasets/pathlib'), { recursive: true });
    fs.rmSync(file('datasets/pathlib/project.json')); // a second Nx project named toyx would stop Nx
    fs.cpSync(file('libs/toyx'), file('node_modules/toypkg'), { recursive: true });
    editJson('node_modules/toypkg/package.json', (p) => { (p as unknown as Record<string, string>).name = 'toypkg'; });
    const tiny = readJson('configs/toyx-tiny.json');
    writeJson('configs/pathlib-tiny.json', { ...tiny, dataset: './datasets/pathlib/src/index.ts' });
    writeJson('configs/pkg-tiny.json', { ...tiny, dataset: 'toypkg' });
    for (const [config, lib] of [['pathlib-tiny', 'datasets/pathlib'], ['pkg-tiny', 'node_modules/toypkg']]) {
      expect((await run('fetch', config)).ran).toEqual(['fetch']);
      expect((await run('fetch', config)).cached).toEqual(['fetch']);
      const before = sha(`artifacts/${config}/fetch/puzzles.arrow`);
      editText(`${lib}/src/task.ts`, 'rng.int(5)', 'rng.int(7)');
      expect((await run('fetch', config)).ran).toEqual(['fetch']);
      expect(sha(`artifacts/${config}/fetch/puzzles.arrow`)).not.toBe(before);
    }
    expect((await run('fetch', 'toyx-tiny')).cached).toEqual(['fetch']);
    expect((await run('encode', 'sudoku-tiny')).cached).toEqual(['fetch', 'augment', 'encode']);
  });

  it('keeps config B cached when config A changes', async () => {
    const { description: _d, ...tiny } = readJson('configs/sudoku-tiny.json');
    writeJson('configs/t-base.json', { ...tiny, description: 'shared base of t-a and t-b' });
    writeJson('configs/t-a.json', { extends: 't-base', description: 'A' });
    writeJson('configs/t-b.json', { extends: 't-base', description: 'B', seed: 1 });
    expect((await run('train', 't-a')).ran).toEqual(['fetch', 'augment', 'encode', 'train']);
    expect((await run('train', 't-b')).ran).toEqual(['fetch', 'augment', 'encode', 'train']);

    editJson('configs/t-a.json', (c) => { c.train = { lr: 0.002 }; });
    const a = await run('train', 't-a');
    expect(a.cached).toEqual(['fetch', 'augment', 'encode']);
    expect(a.ran).toEqual(['train']);
    expect((await run('train', 't-b')).cached).toEqual(['fetch', 'augment', 'encode', 'train']);
    expect((await run('encode', 'sudoku-tiny')).cached).toEqual(['fetch', 'augment', 'encode']);
  });

  it('agrees with trm status after an edit of the engine and after a deleted artifact folder', async () => {
    expect((await run('evaluate', 't-a')).ran).toEqual(['evaluate']);
    fs.appendFileSync(file('libs/trm/src/index.ts'), '\n// an edit of the engine\n');
    const engine = await run('evaluate', 't-a');
    expect(engine.cached).toEqual(['fetch', 'augment', 'encode']);
    expect(engine.ran).toEqual(['train', 'evaluate']);
    expect((await run('encode', 'sudoku-tiny')).cached).toEqual(['fetch', 'augment', 'encode']);

    fs.rmSync(file('artifacts/t-a/train'), { recursive: true });
    const restored = await run('evaluate', 't-a');
    expect(restored.cached).toEqual(['fetch', 'augment', 'encode', 'train', 'evaluate']);
    expect(fs.existsSync(file('artifacts/t-a/train/model.safetensors'))).toBe(true);
  });

  it('passes --compare to the report only, in the Nx and the npm form (issue 13)', async () => {
    writeJson('configs/t-c.json', { extends: 't-a', description: 'C: another name for the run of t-a' });
    fs.cpSync(file('artifacts/t-a'), file('artifacts/t-c'), { recursive: true });
    const r = nx('run', 'pipeline:report', '--config', 't-a', '--compare', 't-c');
    expect(r.ran).toContain('report');
    expect(fs.readFileSync(file('artifacts/t-a/report/report.md'), 'utf8')).toContain('Against **t-c**');
    expect((await status('t-a')).report).toBe('up to date');
    fs.rmSync(file('artifacts/t-a/report'), { recursive: true });
    trm(['report', '--config', 't-a', '--compare', 't-c']);
    expect(fs.readFileSync(file('artifacts/t-a/report/report.md'), 'utf8')).toContain('Against **t-c**');
    expect(() => nx('run', 'pipeline:fetch', '--config', 't-a', '--bogus', 'x')).toThrow(/unknown option --bogus/);
  });

  it('reruns, in every config extending an edited base config, the stages from the first whose keys changed', async () => {
    editJson('configs/t-base.json', (c) => { c.augment.num_aug = 1; });
    for (const config of ['t-a', 't-b']) {
      const r = await run('encode', config);
      expect(r.cached).toEqual(['fetch']);
      expect(r.ran).toEqual(['augment', 'encode']);
    }
    expect((await run('encode', 'sudoku-tiny')).cached).toEqual(['fetch', 'augment', 'encode']);
  });

  it('passes --set values with their quotes, in the Nx and the npm form (issue 13)', async () => {
    fs.mkdirSync(file('data'));
    // one 4x4 puzzle with its unique solution
    fs.writeFileSync(file('data/one.csv'), 'question,answer\n1.34.41221.3432.,1234341221434321\n');
    const sets = ['--set', 'fetch.source=csv', '--set', 'fetch.train_files=["data/one.csv"]', '--set', 'fetch.test_files=[]'];
    expect((await run('fetch', 'sudoku-tiny', ...sets)).ran).toEqual(['fetch']);
    expect(readJson('artifacts/sudoku-tiny/fetch/manifest.json').files['puzzles.arrow'].rows).toBe(1);
    expect((await status('sudoku-tiny')).fetch).toMatch(/^stale/);
    const elsewhere = fs.mkdtempSync(path.join(ws, 'npm-form-'));
    trm(['fetch', '--config', 'sudoku-tiny', ...sets], { TRM_ARTIFACTS: elsewhere });
    expect(JSON.parse(fs.readFileSync(path.join(elsewhere, 'sudoku-tiny/fetch/manifest.json'), 'utf8')).files['puzzles.arrow'].rows).toBe(1);
  });

});
