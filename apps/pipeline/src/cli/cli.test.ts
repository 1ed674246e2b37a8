import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildProgram, main } from '../main.ts';
import { inspect } from './inspect.ts';
import { stageStatus } from './status.ts';
import { loadConfig } from '../config/load.ts';
import { workspaceRoot } from '../workspace.ts';
import { chain } from '../stages/index.ts';
import { stageDir } from '../artifacts/manifest.ts';

process.env.TRM_QUIET = '1';
const root = workspaceRoot();

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((s: unknown) => { out.push(String(s)); });
  vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err.push(String(s)); return true; });
  return { out, err };
}

afterEach(() => vi.restoreAllMocks());

describe('trm CLI', () => {
  it('has every stage command, each saying what it reads and writes', () => {
    const program = buildProgram();
    const names = program.commands.map((c) => c.name());
    expect(names).toEqual(['fetch', 'augment', 'encode', 'train', 'evaluate', 'report', 'configs', 'status', 'show-config', 'config-schema', 'inspect', 'solve', 'web', 'export', 'import-checkpoint', 'convert-checkpoint']);
    for (const c of program.commands) {
      let help = '';
      c.configureOutput({ writeOut: (s) => { help += s; } });
      c.outputHelp();
      expect(help, c.name()).toMatch(/Reads: .+\nWrites: .+/);
    }
  });

  it('lists configs and shows a resolved config with overrides', async () => {
    const { out } = capture();
    expect(await main(['node', 'trm', 'configs'])).toBe(0);
    expect(out.join('\n')).toMatch(/sudoku-tiny\s+CI smoke run/);
    out.length = 0;
    expect(await main(['node', 'trm', 'show-config', 'sudoku-tiny', '--set', 'lr=0.25'])).toBe(0);
    const shown = JSON.parse(out.join('\n'));
    expect(shown.train.lr).toBe(0.25);
    expect(shown.arch.hidden_size).toBe(16);
  });

  it('fails with exit code 2 and a one-line reason on a bad command line, 1 on a bad config file', async () => {
    const { err } = capture();
    expect(await main(['node', 'trm', 'show-config', 'sudoku-tiny', '--set', 'arch.hidden_size=wide'])).toBe(2);
    expect(err.join('')).toBe('trm: --set arch.hidden_size=wide: expected an integer >= 1\n');
    err.length = 0;
    expect(await main(['node', 'trm', 'show-config', 'no-such-config'])).toBe(2);
    expect(err.join('')).toContain('config not found; known configs:');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-cli-'));
    fs.writeFileSync(path.join(dir, 'broken.json'), '{ "extends": "sudoku-tiny",\n  "seed": 1\n  "train": {} }');
    err.length = 0;
    expect(await main(['node', 'trm', 'show-config', path.join(dir, 'broken.json')])).toBe(1);
    expect(err.join('')).toContain(`${path.join(dir, 'broken.json')}:3:3: invalid JSON: unexpected '"', expected "," or "}"`);
  });

  it('inspects an encode artifact: manifest, schema, metadata, rows decoded by the dataset lib', async () => {
    const artifacts = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-cli-'));
    const { config, dataset } = await loadConfig('sudoku-tiny', { dir: path.join(root, 'configs'), root });
    for (const s of chain('encode')) await s.run({ config, dataset, root, artifacts });
    const lines: string[] = [];
    await inspect(stageDir(artifacts, 'sudoku-tiny', 'encode'), { rows: 1, root }, (s) => lines.push(s));
    const text = lines.join('\n');
    expect(text).toContain('kind trm.encode v1, config sudoku-tiny, dataset sudoku');
    expect(text).toContain('schema: inputs: FixedSizeList[16]<Uint8>, labels: FixedSizeList[16]<Uint8>, puzzle_identifier: Int32');
    expect(text).toMatch(/metadata trm.dataset: \{"vocab_size":6,"seq_len":16/);
    expect(text).toMatch(/batches: 1, rows: 8/);
    expect(text).toContain('labels:'); // a decoded grid rendered by the sudoku lib
    expect(text).toContain('identifiers.json');

    const status = async (sets: string[]) => {
      const c = await loadConfig('sudoku-tiny', { dir: path.join(root, 'configs'), root, sets });
      return Object.fromEntries((await stageStatus({ config: c.config, dataset: c.dataset, root, artifacts })).map((r) => [r.stage, `${r.state}${r.why.length ? ': ' + r.why.join('; ') : ''}`]));
    };
    expect(await status([])).toEqual({ fetch: 'up to date', augment: 'up to date', encode: 'up to date', train: 'missing', evaluate: 'missing', report: 'missing' });
    const changed = await status(['augment.num_aug=1']);
    expect(changed.fetch).toBe('up to date');
    expect(changed.augment).toBe('stale: augment.num_aug: 2 -> 1');
    expect(changed.encode).toBe('stale: upstream augment is stale');
    fs.appendFileSync(path.join(stageDir(artifacts, 'sudoku-tiny', 'fetch'), 'puzzles.arrow'), 'x');
    expect((await status([])).fetch).toMatch(/^damaged: .*puzzles.arrow: \d+ bytes, manifest says \d+/);
  });
});
