import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { listConfigs, loadConfig } from './load.ts';
import { describeWorkers, planWorkers } from './workers.ts';
import { UsageError } from './validate.ts';
import { configSchemaText, schemaRef } from '../cli/config-schema.ts';
import { loadRaw } from './load.ts';
import { workspaceRoot } from '../workspace.ts';

const root = workspaceRoot();
const toy = './apps/pipeline/src/testing/toy-dataset.ts';

function tmpConfigs(files: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-cfg-'));
  for (const [name, v] of Object.entries(files)) fs.writeFileSync(path.join(dir, `${name}.json`), typeof v === 'string' ? v : JSON.stringify(v));
  return dir;
}

describe('config loading', () => {
  it('validates every shipped config', async () => {
    const names = listConfigs(path.join(root, 'configs')).map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['sudoku-tiny', 'sudoku-quick', 'sudoku-home', 'sudoku-extreme-paper']));
    for (const name of names.filter((n) => n.startsWith('sudoku'))) {
      const { config } = await loadConfig(name, { dir: path.join(root, 'configs'), root });
      expect(config.name).toBe(name);
      expect(config.description.length).toBeGreaterThan(10);
    }
  });

  it('follows extends with a deep merge and fills defaults', async () => {
    const dir = tmpConfigs({
      base: { dataset: toy, seed: 1, arch: { hidden_size: 32, H_cycles: 2 }, train: { lr: 0.5 } },
      child: { extends: 'base', description: 'child', arch: { H_cycles: 4 } },
    });
    const { config } = await loadConfig('child', { dir, root });
    expect(config.arch.hidden_size).toBe(32);
    expect(config.arch.H_cycles).toBe(4);
    expect(config.arch.L_cycles).toBe(6); // default
    expect(config.train.lr).toBe(0.5);
    expect(config.fetch.length).toBe(6); // dataset-owned default
    expect(config.seed).toBe(1);
  });

  it('applies --set with typed parsing and train aliases', async () => {
    const dir = tmpConfigs({ c: { dataset: toy } });
    const { config } = await loadConfig('c', { dir, root, sets: ['lr=3e-4', 'arch.mlp_t=true', 'global_batch_size=12', 'fetch.length=4', 'seed=7', 'report.title=hello'] });
    expect(config.train.lr).toBe(3e-4);
    expect(config.arch.mlp_t).toBe(true);
    expect(config.train.global_batch_size).toBe(12);
    expect(config.fetch.length).toBe(4);
    expect(config.seed).toBe(7);
    expect(config.report.title).toBe('hello');
  });

  it('reports file, key path, bad value and what is allowed', async () => {
    const dir = tmpConfigs({ bad: { dataset: toy, arch: { hidden_size: 'big', pos_encodings: 'sinus', widht: 3 }, train: { epochs: -1 } } });
    const err = await loadConfig('bad', { dir, root }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    const msg = (err as Error).message;
    expect(msg).toContain(path.join(dir, 'bad.json'));
    expect(msg).toContain('arch.hidden_size = "big": expected an integer >= 1');
    expect(msg).toContain('arch.pos_encodings = "sinus": expected one of "rope", "learned", "none"');
    expect(msg).toContain('arch.widht: unknown key');
    expect(msg).toContain('train.epochs = -1');
  });

  it('rejects bad --set values, unknown keys, extends cycles, bad JSON and unknown datasets', async () => {
    const dir = tmpConfigs({ c: { dataset: toy }, a: { extends: 'b' }, b: { extends: 'a' }, broken: '{ "dataset": ', d: { dataset: 'no-such-dataset' } });
    await expect(loadConfig('c', { dir, root, sets: ['lr=fast'] })).rejects.toThrow('--set train.lr=fast: expected a number >= 0');
    await expect(loadConfig('c', { dir, root, sets: ['arch.mlp_t=maybe'] })).rejects.toThrow('expected true or false');
    await expect(loadConfig('c', { dir, root, sets: ['bogus=1'] })).rejects.toThrow('unknown key "bogus"');
    await expect(loadConfig('c', { dir, root, sets: ['train.lr'] })).rejects.toThrow('expected key=value');
    await expect(loadConfig('a', { dir, root })).rejects.toThrow('"extends" cycle');
    await expect(loadConfig('broken', { dir, root })).rejects.toThrow(`${path.join(dir, 'broken.json')}:1:14: invalid JSON: unexpected end of text, expected a value`);
    await expect(loadConfig('missing', { dir, root })).rejects.toThrow('config not found; known configs:');
    await expect(loadConfig('d', { dir, root })).rejects.toThrow('dataset "no-such-dataset": cannot load');
  });

  it('blames a bad --set value on the --set, not on the config file, as a usage error', async () => {
    const dir = tmpConfigs({ c: { dataset: toy, arch: { hidden_size: 'big' } }, ok: { dataset: toy } });
    const fromSet = await loadConfig('ok', { dir, root, sets: ['train.epochs=-1', 'arch.bogus=1'] }).catch((e: Error) => e);
    expect(fromSet).toBeInstanceOf(UsageError);
    expect((fromSet as Error).message).toMatch(/^invalid --set overrides/);
    expect((fromSet as Error).message).toContain('train.epochs = -1: expected an integer >= 1 (');
    expect((fromSet as Error).message).toContain('(from --set train.epochs=-1)');
    expect((fromSet as Error).message).toContain('arch.bogus: unknown key; allowed keys:');
    expect((fromSet as Error).message).toContain('(from --set arch.bogus=1)');
    // a problem of the file stays the file's, next to the --set one
    const both = await loadConfig('c', { dir, root, sets: ['epochs=-1'] }).catch((e: Error) => e);
    expect(both).not.toBeInstanceOf(UsageError);
    expect((both as Error).message).toMatch(new RegExp(`^${path.join(dir, 'c.json').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: invalid config`));
    expect((both as Error).message).toContain('arch.hidden_size = "big": expected an integer >= 1');
    expect((both as Error).message).not.toMatch(/hidden_size[^\n]*from --set/);
    expect((both as Error).message).toContain('train.epochs = -1: expected an integer >= 1 (');
    expect((both as Error).message).toMatch(/train\.epochs[^\n]*\(from --set epochs=-1\)/);
    await expect(loadConfig('ok', { dir, root, sets: ['seed=-3'] })).rejects.toThrow('seed = -3: expected a non-negative integer (from --set seed=-3)');
  });

  it('reads JSONC configs (comments, trailing commas); a folder or a missing config says which', async () => {
    const dir = tmpConfigs({});
    fs.writeFileSync(path.join(dir, 'commented.json'), `{\n  // the toy task\n  "dataset": ${JSON.stringify(toy)}, /* seed */ "seed": 4,\n  "train": { "lr": 0.5, },\n}\n`);
    const { config } = await loadConfig('commented', { dir, root });
    expect(config.seed).toBe(4);
    expect(config.train.lr).toBe(0.5);
    fs.mkdirSync(path.join(dir, 'folder.json'));
    await expect(loadConfig('folder', { dir, root })).rejects.toThrow(`${path.join(dir, 'folder.json')}: cannot read the config (a folder, not a file)`);
    await expect(loadConfig('missing', { dir, root })).rejects.toBeInstanceOf(UsageError);
  });

  it('runtime.workers: one per core by default, 0 = the main thread, a bad value names the key', async () => {
    const dir = tmpConfigs({ c: { dataset: toy }, zero: { dataset: toy, runtime: { workers: 0 } }, neg: { dataset: toy, runtime: { workers: -1 } }, frac: { dataset: toy, runtime: { workers: 1.5 } }, auto: { dataset: toy, runtime: { workers: 'auto' } } });
    expect((await loadConfig('c', { dir, root })).config.runtime.workers).toBe(os.availableParallelism());
    expect((await loadConfig('zero', { dir, root })).config.runtime.workers).toBe(0);
    expect((await loadConfig('c', { dir, root, sets: ['runtime.workers=3'] })).config.runtime.workers).toBe(3);
    for (const [name, shown] of [['neg', '-1'], ['frac', '1.5'], ['auto', '"auto"']]) {
      const msg = await loadConfig(name, { dir, root }).then(() => '', (e: Error) => e.message);
      expect(msg).toContain(path.join(dir, `${name}.json`));
      expect(msg).toContain(`runtime.workers = ${shown}: expected an integer >= 0 (worker threads of train and evaluate`);
    }
    await expect(loadConfig('c', { dir, root, sets: ['runtime.workers=two'] })).rejects.toThrow('--set runtime.workers=two: expected an integer >= 0');
    await expect(loadConfig('c', { dir, root, sets: ['runtime.workers=-2'] })).rejects.toThrow('runtime.workers = -2: expected an integer >= 0');
  });

  it('every shipped config names the JSON Schema of its dataset, and configs/schema/*.schema.json are current', async () => {
    const dir = path.join(root, 'configs');
    for (const { name } of listConfigs(dir)) {
      const own = JSON.parse(fs.readFileSync(path.join(dir, `${name}.json`), 'utf8').replace(/^\s*\/\/.*$/gm, '')) as { $schema?: string };
      expect(own.$schema, `configs/${name}.json "$schema"`).toBe(schemaRef(loadRaw(name, dir).raw.dataset as string));
    }
    for (const dataset of ['sudoku', 'maze', 'arc']) {
      const file = path.join(dir, 'schema', `${dataset}.schema.json`);
      // regenerate with: npm run trm -- config-schema --write
      expect(fs.readFileSync(file, 'utf8'), `${file} is out of date: npm run trm -- config-schema --write`).toBe(await configSchemaText(dataset, root));
    }
  });

  it('the JSON Schema holds the sections, defaults, ranges and descriptions validation uses, the dataset\'s too', async () => {
    const schema = JSON.parse(await configSchemaText('sudoku', root));
    const p = schema.properties;
    expect(p.arch.properties.hidden_size).toMatchObject({ type: 'integer', minimum: 1, default: 512, description: 'width D of every hidden state' });
    expect(p.arch.properties.pos_encodings.enum).toEqual(['rope', 'learned', 'none']);
    expect(p.arch.additionalProperties).toBe(false);
    expect(p.train.properties.beta1).toMatchObject({ minimum: 0, exclusiveMaximum: 1 });
    expect(p.train.properties.max_steps).toMatchObject({ type: 'integer', default: 0 }); // a pipeline key beside the engine's
    expect(Object.keys(p.fetch.properties)).toEqual(expect.arrayContaining(['source', 'size'])); // the dataset lib's
    expect(Object.keys(p.evaluate.properties)).toEqual(expect.arrayContaining(['batch_size', 'trajectory_examples']));
    expect(p.extends.type).toBe('string');
    expect(schema.required).toBeUndefined(); // a config may take any key from the one it extends
  });

  it('plans worker threads: capped at the rows of one model call, more threads than cores noted', () => {
    expect(planWorkers(2, 16, 'train.global_batch_size', 'wasm', 2)).toEqual({ workers: 2, notes: [] });
    expect(planWorkers(0, 16, 'train.global_batch_size', 'tensorflow', 2)).toEqual({ workers: 0, notes: [] });
    expect(planWorkers(8, 1, 'evaluate.batch_size', 'cpu', 8)).toEqual({ workers: 1, notes: ['runtime.workers = 8 capped at 1: evaluate.batch_size gives one call of the model only 1 row'] });
    expect(planWorkers(4, 16, 'train.global_batch_size', 'wasm', 2).notes).toEqual(['4 threads on 2 cores: they share the cores']);
    expect(planWorkers(2, 16, 'train.global_batch_size', 'tensorflow', 2).notes).toEqual(['the tensorflow backend already uses every core in one thread; runtime.workers = 0 may be faster']);
    expect(() => planWorkers(-1, 16, 'train.global_batch_size', 'wasm')).toThrow('runtime.workers = -1: expected an integer >= 0');
    expect(() => planWorkers(2, 0, 'evaluate.batch_size', 'wasm')).toThrow('evaluate.batch_size = 0: expected an integer >= 1');
    expect(describeWorkers({ workers: 0, notes: [] })).toBe('the main thread (runtime.workers = 0)');
    expect(describeWorkers({ workers: 1, notes: [] })).toBe('1 worker thread');
  });
});
