import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
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
});
