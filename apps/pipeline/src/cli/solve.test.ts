import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readTable } from '../artifacts/open-stage.ts';
import { main, runStageCommand } from '../main.ts';
import { workspaceRoot } from '../workspace.ts';
import { testPuzzles } from './test-puzzles.ts';
import { loadConfig } from '../config/load.ts';
import { configsDir } from '../workspace.ts';

// `trm solve` on models trained by the *-tiny configs: every step equals the evaluate stage's trajectory of the same
// test puzzle (same backend and weights), the ARC attempts equal its submission.json; bad input exits 2.

process.env.TRM_QUIET = '1';
// one backend for the whole file (a process keeps the backend it started with under `auto`); arc-tiny's 900-token
// rows need wasm's speed
process.env.TRM_BACKEND = 'wasm';
const root = workspaceRoot();
let artifacts = '';

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out.push(String(s)); return true; });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err.push(String(s)); return true; });
  try {
    const code = await main(['node', 'trm', 'solve', ...args]);
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

async function firstTestPuzzle(config: string) {
  const { dataset } = await loadConfig(config, { dir: configsDir(root), root, sets: [] });
  return (await testPuzzles(dataset.lib, artifacts, config, 1))[0];
}

/** trajectories.arrow of the evaluate stage: example index -> predictions per step */
async function trajectories(config: string): Promise<Map<number, number[][]>> {
  const out = new Map<number, number[][]>();
  for (const r of await readTable(path.join(artifacts, config, 'evaluate', 'trajectories.arrow'))) {
    const list = out.get(r.index as number) ?? [];
    list[(r.step as number) - 1] = Array.from(r.preds as Uint8Array);
    out.set(r.index as number, list);
  }
  return out;
}

beforeAll(async () => {
  artifacts = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-solve-'));
  process.env.TRM_ARTIFACTS = artifacts;
  for (const config of ['sudoku-tiny', 'arc-tiny']) await runStageCommand('evaluate', { config, set: [] });
});

afterAll(() => {
  delete process.env.TRM_ARTIFACTS;
  fs.rmSync(artifacts, { recursive: true, force: true });
});

afterEach(() => vi.restoreAllMocks());

describe('trm solve', () => {
  it('gives the evaluate stage\'s steps for a test puzzle (--all-steps --json), and the answer it checks', async () => {
    const puzzle = await firstTestPuzzle('sudoku-tiny');
    const { code, out } = await run('--config', 'sudoku-tiny', '--all-steps', '--json', puzzle.text);
    expect(code).toBe(0);
    const report = JSON.parse(out);
    expect(report).toMatchObject({ config: 'sudoku-tiny', dataset: 'sudoku', halt_max_steps: 2, puzzle: puzzle.text, checkpoint: path.relative(root, path.join(artifacts, 'sudoku-tiny/train/model.safetensors')) });
    const expected = (await trajectories('sudoku-tiny')).get(0)!;
    expect(report.steps.map((s: { tokens: number[] }) => s.tokens)).toEqual(expected);
    for (const s of report.steps) {
      expect(s.prediction).toMatch(/^[.1-4]{16}$/);
      expect(s.q_halt).toBeGreaterThan(0);
      expect(s.q_halt).toBeLessThan(1);
    }
    expect(report.answer).toBe(report.steps[1].prediction);
    expect(typeof report.valid).toBe('boolean');
    expect(report.halted_at).toBeGreaterThanOrEqual(1);
    // without --all-steps the run stops at the halting step, with the same predictions up to there
    const halted = JSON.parse((await run('--config', 'sudoku-tiny', '--json', puzzle.text)).out);
    expect(halted.steps).toHaveLength(halted.halted_at);
    expect(halted.steps).toEqual(report.steps.slice(0, halted.halted_at));
  });

  it('--trace prints every step with its changed cells and halting confidence', async () => {
    const puzzle = await firstTestPuzzle('sudoku-tiny');
    const { code, out } = await run('--config', 'sudoku-tiny', '--trace', '--all-steps', puzzle.text);
    expect(code).toBe(0);
    expect(out).toMatch(/^puzzle:$/m);
    expect(out).toMatch(/^step 1 {2}q_halt 0\.\d{3} {2}\d+ cells? changed/m);
    expect(out).toMatch(/^step 2 {2}q_halt 0\.\d{3} {2}\d+ cells? changed.*<- (halts here|halt_max_steps reached)$/m);
    expect(out).toMatch(/\[\d\]/);
    expect(out).toMatch(/^(valid|not valid: .+)$/m);
  });

  it('solves an ARC task file with the evaluate stage\'s steps, votes and attempts', async () => {
    const file = path.join(root, '../shared/data/arc/arc-agi-1-per-task-samples/evaluation/00576224.json');
    const { code, out } = await run('--config', 'arc-tiny', '--json', '--file', file);
    expect(code).toBe(0);
    const report = JSON.parse(out);
    // the first rows of the test split are this task's un-augmented copy: trajectory 0
    expect(report.steps.map((s: { tokens: number[] }) => s.tokens)).toEqual((await trajectories('arc-tiny')).get(0));
    const submission = JSON.parse(fs.readFileSync(path.join(artifacts, 'arc-tiny/evaluate/submission.json'), 'utf8'))['00576224'];
    expect(report.tests.map((t: { answer: string }) => JSON.parse(t.answer))).toEqual(submission.map((s: Record<string, unknown>) => [s.attempt_1, s.attempt_2]));
  });

  it.each([
    ['a puzzle of the wrong length', ['--config', 'sudoku-tiny', '1234'], /^trm: sudoku: expected 16 cells \(a 4x4 board: digits 1-4, '\.' or '0' for blanks\), found 4 characters\n$/],
    ['a board size the model was not trained for', ['--config', 'sudoku-tiny', '.'.repeat(36)], /^trm: sudoku: a 6x6 board \(36 cells\), but the model was trained on 4x4 boards \(16 cells\)\n$/],
    ['a bad character', ['--config', 'sudoku-tiny', '12x4' + '.'.repeat(12)], /^trm: sudoku: position 3: bad character 'x'/],
    ['no puzzle', ['--config', 'sudoku-tiny'], /^trm: no puzzle: give it as an argument, with --file FILE, or as - to read it from stdin\n$/],
    ['a missing model', ['--config', 'sudoku-quick', '.'.repeat(36)], /^trm: no trained model for sudoku-quick \(.*sudoku-quick\/train\/model\.safetensors is missing\): train it with `npm run trm -- train --config sudoku-quick`/],
    ['a missing --checkpoint', ['--config', 'sudoku-tiny', '--checkpoint', 'no/such.safetensors', '.'.repeat(16)], /^trm: --checkpoint no\/such\.safetensors: no such file\n$/],
    ['a model of other data', ['--config', 'sudoku-quick', '--checkpoint', '@tiny', '.'.repeat(36)], /the model was trained on data with seq_len 16, vocab_size 6, but the sudoku data of config sudoku-quick has seq_len 36, vocab_size 8\n$/],
    ['a file without arch metadata', ['--config', 'sudoku-tiny', '--checkpoint', '@state', '.'.repeat(16)], /state\.safetensors: no "config" metadata \(the model's arch\)/],
  ])('refuses %s: one line, exit status 2', async (_, args, message) => {
    const fixed = args.map((a) => (a === '@tiny' ? path.join(artifacts, 'sudoku-tiny/train/model.safetensors') : a === '@state' ? path.join(artifacts, 'sudoku-tiny/train/state.safetensors') : a));
    const { code, err, out } = await run(...fixed);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err.trim().split('\n')).toHaveLength(1);
    expect(out).toBe('');
  });

  it('reads the puzzle from stdin (-), as a pipe', () => {
    const text = spawnSync(process.execPath, ['--import', 'tsx', 'apps/pipeline/src/main.ts', 'solve', '--config', 'sudoku-tiny', '--json', '-'], {
      cwd: root, input: '1...\n..3.\n.2..\n...4\n', env: { ...process.env, TRM_ARTIFACTS: artifacts, TRM_QUIET: '1' }, encoding: 'utf8',
    });
    expect(text.status, text.stderr).toBe(0);
    expect(JSON.parse(text.stdout).puzzle).toBe('1.....3..2.....4');
  });
});
