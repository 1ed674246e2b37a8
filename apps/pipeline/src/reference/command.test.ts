import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../main.ts';
import { loadConfig } from '../config/load.ts';
import { configsDir, workspaceRoot } from '../workspace.ts';
import { commandLine, referenceCommand } from './command.ts';

const root = workspaceRoot();
const load = async (name: string, sets: string[] = []) => (await loadConfig(name, { dir: configsDir(root), root, sets })).config;

describe('the reference training command', () => {
  it('carries every arch and train setting of the config as a hydra override', async () => {
    const config = await load('sudoku-quick');
    const cmd = referenceCommand(config, { dataDir: '/data/sq', checkpointPath: 'checkpoints/sq', nproc: 2 });
    const arch = config.arch as Record<string, unknown>;
    const train = config.train as Record<string, unknown>;
    const value = (v: unknown) => (typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v));
    for (const k of ['hidden_size', 'H_cycles', 'L_cycles', 'L_layers', 'mlp_t', 'pos_encodings', 'puzzle_emb_ndim', 'halt_max_steps']) expect(cmd.overrides).toContain(`arch.${k}=${value(arch[k])}`);
    for (const k of ['global_batch_size', 'epochs', 'lr', 'puzzle_emb_lr', 'weight_decay', 'ema']) expect(cmd.overrides).toContain(`${k}=${value(train[k])}`);
    expect(cmd.overrides).toEqual(expect.arrayContaining(['data_paths=[/data/sq]', 'arch=trm', `eval_interval=${train.epochs}`, '+run_name=sudoku-quick', '+checkpoint_path=checkpoints/sq', `seed=${config.seed}`, '+arch.rope_theta=10000']));
    expect(cmd.python.slice(0, 2)).toEqual(['python', 'pretrain.py']);
    expect(cmd.torchrun.slice(0, 3)).toEqual(['torchrun', '--nproc-per-node', '2']);
    expect(cmd.unmapped.some((u) => u.startsWith('train.max_steps='))).toBe(true);
    expect(cmd.unmapped.some((u) => u.startsWith('runtime.*'))).toBe(true);
    expect(commandLine(cmd.python)).toContain("'data_paths=[/data/sq]'"); // [ ] are shell glob characters
  });

  it('quotes paths for hydra and the shell, and checks eval_interval divides epochs', async () => {
    const config = await load('sudoku-tiny');
    const cmd = referenceCommand(config, { dataDir: path.join('/my data', "it's"), checkpointPath: 'ck', nproc: 1, loadCheckpoint: '/w/model.pt' });
    expect(cmd.overrides[0]).toBe("data_paths=['/my data/it\\'s']");
    expect(cmd.overrides).toContain('+load_checkpoint=/w/model.pt');
    expect(() => referenceCommand(config, { dataDir: 'd', checkpointPath: 'c', nproc: 1, evalInterval: 3 })).toThrow(/--eval-interval 3: must divide train.epochs \(2\)/);
  });

  describe('trm export --print-command', () => {
    afterEach(() => vi.restoreAllMocks());

    it('prints the python and torchrun lines, the way back, and the keys without a reference counterpart; writes nothing', async () => {
      const printed: string[] = [];
      vi.spyOn(console, 'log').mockImplementation((s: unknown) => { printed.push(String(s)); });
      const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'trm-printcmd-')), 'sq-data');
      const code = await main(['node', 'trm', 'export', '--config', 'sudoku-quick', '--format', 'reference', '--out', out, '--print-command', '--nproc', '8', '--set', 'train.max_steps=7']);
      expect(code).toBe(0);
      const lines = printed.join('\n').split('\n');
      const config = await load('sudoku-quick', ['train.max_steps=7']);
      const python = lines.find((l) => l.startsWith('python pretrain.py '));
      const torchrun = lines.find((l) => l.startsWith('torchrun '));
      expect(python).toBeDefined();
      expect(torchrun).toMatch(/^torchrun --nproc-per-node 8 --rdzv_backend=c10d --rdzv_endpoint=localhost:0 --nnodes=1 pretrain\.py /);
      for (const line of [python!, torchrun!]) {
        expect(line).toContain(`'data_paths=[${out}]'`);
        expect(line).toContain(' arch=trm arch.hidden_size=32 ');
        expect(line).toContain(' arch.mlp_t=True arch.pos_encodings=none ');
        expect(line).toContain(` global_batch_size=16 epochs=20 lr=0.002 `);
        expect(line).toContain(` eval_interval=20 `);
        expect(line).toContain(' ema=True ');
        expect(line).toContain(' +run_name=sudoku-quick +checkpoint_path=checkpoints/sudoku-quick');
      }
      expect(lines).toContain('npm run trm -- import-checkpoint --config sudoku-quick checkpoints/sudoku-quick/step_<last>');
      const header = lines.indexOf('# Settings of this config without a reference counterpart:');
      expect(header).toBeGreaterThan(lines.indexOf(python!));
      const unmapped = lines.slice(header + 1);
      expect(unmapped).toContain('#   train.max_steps=7 (the reference always runs all epochs)');
      expect(unmapped.some((l) => l.startsWith('#   train.checkpoint_every=200 '))).toBe(true);
      expect(unmapped.some((l) => l.startsWith('#   runtime.* '))).toBe(true);
      expect(unmapped.some((l) => /arch\.(hidden_size|mlp_t)=/.test(l))).toBe(false); // mapped keys are not listed
      expect(config.train.max_steps).toBe(7);
      expect(fs.existsSync(out)).toBe(false); // --print-command writes nothing
    });

    it('without --nproc, the torchrun line uses runtime.nproc_per_node when above 1, else 4 GPUs', async () => {
      const printed: string[] = [];
      vi.spyOn(console, 'log').mockImplementation((s: unknown) => { printed.push(String(s)); });
      const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'trm-printcmd-')), 'd');
      const torchrun = async (sets: string[]) => {
        printed.length = 0;
        expect(await main(['node', 'trm', 'export', '--config', 'sudoku-tiny', '--format', 'reference', '--out', out, '--print-command', ...sets])).toBe(0);
        return printed.join('\n').split('\n').find((l) => l.startsWith('torchrun '));
      };
      expect(await torchrun(['--set', 'runtime.nproc_per_node=8'])).toMatch(/^torchrun --nproc-per-node 8 /);
      expect(await torchrun([])).toMatch(/^torchrun --nproc-per-node 4 /);
      expect(await torchrun(['--set', 'runtime.nproc_per_node=8', '--nproc', '2'])).toMatch(/^torchrun --nproc-per-node 2 /);
    });
  });
});
