// runtime.engine: reference, orchestrated against stand-ins for the reference checkout (there is no GPU and no
// PyTorch training here): a `pretrain.py` (JavaScript, run by node as TRM_REFERENCE_PYTHON) that records how it was
// called, reads the exported data, prints a tqdm-like log and writes step_N checkpoints; and a `torchrun` that
// records its options and runs it. Checks: data exported where pretrain.py looks, the hydra overrides, the log
// streamed, the last checkpoint (by N, not by name) imported as the train artifact, caching, failures.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { addCompilePrefix, writeTorchZip } from '@trm/reference';
import { decodeSafetensors, type TensorDict } from '@trm/tensor-core';
import { initBackend } from '@trm/tensor-node';
import { createModel } from '@trm/trm';
import { loadConfig } from '../config/load.ts';
import { configsDir, workspaceRoot } from '../workspace.ts';
import { readManifest, stageDir } from '../artifacts/manifest.ts';
import { stageStates, type StageContext } from '../stages/context.ts';
import { chain } from '../stages/index.ts';
import { loadEncodedMetadata } from '../stages/encoded-split.ts';
import { archConfig, runTrain } from '../stages/train.ts';
import { runEvaluate } from '../stages/evaluate.ts';

process.env.TRM_QUIET = '1';
const root = workspaceRoot();
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'trm-refrun-'));

/** The stand-in pretrain.py: plain JavaScript (node runs a file of any extension as CommonJS). */
const PRETRAIN = String.raw`
const fs = require('node:fs'), path = require('node:path');
const args = process.argv.slice(2);
const get = (k) => { const a = args.find((x) => x.startsWith(k + '=')); return a === undefined ? undefined : a.slice(k.length + 1); };
const data = get('data_paths').replace(/^\[|\]$/g, '');
const dataset = JSON.parse(fs.readFileSync(path.join(data, 'train', 'dataset.json'), 'utf8'));
const inputs = fs.statSync(path.join(data, 'train', 'all__inputs.npy')).size;
fs.writeFileSync(process.env.STANDIN_RECORD, JSON.stringify({ args, cwd: process.cwd(), wandb: process.env.WANDB_MODE ?? null, unbuffered: process.env.PYTHONUNBUFFERED ?? null, localRank: process.env.LOCAL_RANK ?? null, dataset, inputs }));
console.log('[Rank 0, World Size 1]: Epoch 0');
process.stderr.write('  0%|          | 0/4 [00:00<?, ?it/s]\r 50%|#####     | 2/4\r100%|##########| 4/4\n');
if (process.env.STANDIN_EXIT) { console.log('Traceback: CUDA out of memory (stand-in)'); process.exit(Number(process.env.STANDIN_EXIT)); }
const out = get('+checkpoint_path');
fs.mkdirSync(out, { recursive: true });
const [early, last] = process.env.STANDIN_CHECKPOINTS.split(',');
fs.copyFileSync(early, path.join(out, 'step_2'));
fs.copyFileSync(last, path.join(out, 'step_10'));
fs.writeFileSync(path.join(out, 'step_10_all_preds.0'), 'not a checkpoint of the model');
console.log('SAVE CHECKPOINT');
`;

/** The stand-in torchrun: records its own options, then runs `node pretrain.py ...` as rank 0. */
const TORCHRUN = String.raw`#!/usr/bin/env node
const { spawnSync } = require('node:child_process'), fs = require('node:fs');
const args = process.argv.slice(2);
const at = args.indexOf('pretrain.py');
fs.writeFileSync(process.env.STANDIN_RECORD + '.torchrun', JSON.stringify(args.slice(0, at)));
const r = spawnSync(process.execPath, args.slice(at), { stdio: 'inherit', env: { ...process.env, LOCAL_RANK: '0' } });
process.exit(r.status ?? 1);
`;

const ENV_KEYS = ['TRM_REFERENCE_DIR', 'TRM_REFERENCE_PYTHON', 'TRM_REFERENCE_TORCHRUN', 'STANDIN_RECORD', 'STANDIN_CHECKPOINTS', 'STANDIN_EXIT', 'WANDB_MODE'];
const saved = Object.fromEntries(ENV_KEYS.map((k) => [k, process.env[k]]));
afterEach(() => {
  for (const k of ENV_KEYS) if (saved[k] === undefined) delete process.env[k]; else process.env[k] = saved[k];
});

async function context(artifacts: string, sets: string[] = []): Promise<StageContext> {
  const { config, dataset } = await loadConfig('sudoku-tiny', { dir: configsDir(root), root, sets: ['runtime.engine=reference', 'runtime.workers=0', ...sets] });
  return { config, dataset, root, artifacts };
}

/** A fake checkout, two checkpoints of this config's arch (seeds 1 and 2) and the environment pointing at them. */
async function standIn(ctx: StageContext): Promise<{ record: string; early: TensorDict; last: TensorDict; checkout: string }> {
  for (const s of chain('encode')) await s.run(ctx);
  const checkout = tmp();
  fs.writeFileSync(path.join(checkout, 'pretrain.py'), PRETRAIN);
  fs.writeFileSync(path.join(checkout, 'torchrun'), TORCHRUN, { mode: 0o755 });
  const meta = await loadEncodedMetadata(path.join(stageDir(ctx.artifacts, 'sudoku-tiny', 'encode'), 'train.arrow'));
  const arch = archConfig(ctx.config, meta);
  const weights = (seed: number) => { const m = createModel(arch, seed); const d = m.stateDict(); m.dispose(); return d; };
  const early = weights(1);
  const last = weights(2);
  const files = [early, last].map((w, i) => { const f = path.join(checkout, `ck${i}.pt`); fs.writeFileSync(f, writeTorchZip(addCompilePrefix(w))); return f; });
  const record = path.join(checkout, 'record.json');
  Object.assign(process.env, { TRM_REFERENCE_DIR: checkout, TRM_REFERENCE_PYTHON: process.execPath, TRM_REFERENCE_TORCHRUN: path.join(checkout, 'torchrun'), STANDIN_RECORD: record, STANDIN_CHECKPOINTS: files.join(',') });
  delete process.env.WANDB_MODE;
  return { record, early, last, checkout };
}

const bits = (d: TensorDict[string]) => Buffer.from((d.data as Float32Array).buffer, (d.data as Float32Array).byteOffset, (d.data as Float32Array).byteLength);
const trainedModel = (artifacts: string) => decodeSafetensors(new Uint8Array(fs.readFileSync(path.join(stageDir(artifacts, 'sudoku-tiny', 'train'), 'model.safetensors'))), 'model').tensors;

describe('runtime.engine: reference (stand-in reference checkout)', () => {
  beforeAll(async () => { await initBackend('cpu'); }, 300_000);

  it('exports the data, runs pretrain.py with the overrides, streams its log and imports the last checkpoint', async () => {
    const ctx = await context(tmp());
    const { record, last, checkout } = await standIn(ctx);
    const res = await runTrain(ctx);
    expect(res.skipped).toBe(false);

    const seen = JSON.parse(fs.readFileSync(record, 'utf8'));
    const work = path.join(ctx.artifacts, 'sudoku-tiny', 'train.reference');
    expect(seen.cwd).toBe(fs.realpathSync(checkout));
    expect(seen.wandb).toBe('offline');
    expect(seen.unbuffered).toBe('1'); // pretrain.py's print()s reach the log as they happen
    expect(seen.localRank).toBeNull(); // python, not torchrun
    expect(seen.args).toEqual(expect.arrayContaining([`data_paths=[${path.join(work, 'data')}]`, 'arch=trm', `+checkpoint_path=${path.join(work, 'checkpoints')}`, '+run_name=sudoku-tiny', `epochs=${ctx.config.train.epochs}`, `global_batch_size=${ctx.config.train.global_batch_size}`, 'arch.forward_dtype=float32']));
    expect(seen.dataset).toMatchObject({ seq_len: 16, vocab_size: 6, sets: ['all'] }); // the export pretrain.py read
    expect(seen.inputs).toBeGreaterThan(128);
    expect(fs.existsSync(path.join(work, 'data'))).toBe(false); // removed once imported

    const log = fs.readFileSync(path.join(work, 'pretrain.log'), 'utf8').split('\n');
    expect(log).toEqual(expect.arrayContaining(['[Rank 0, World Size 1]: Epoch 0', ' 50%|#####     | 2/4', 'SAVE CHECKPOINT']));

    const model = trainedModel(ctx.artifacts);
    for (const [k, t] of Object.entries(last)) expect(Buffer.compare(bits(model[k]), bits(t)), `${k}: step_10's value`).toBe(0);
    const { manifest } = readManifest(stageDir(ctx.artifacts, 'sudoku-tiny', 'train'), 'train', 'sudoku-tiny');
    expect(manifest.lineage).toMatchObject({ imported: path.join(work, 'checkpoints', 'step_10'), format: 'pytorch-zip', compiled: true });
    expect(manifest.backend).toEqual({ name: 'reference', version: 'unversioned' });
    const state = JSON.parse(fs.readFileSync(path.join(stageDir(ctx.artifacts, 'sudoku-tiny', 'train'), 'state.json'), 'utf8'));
    expect(state).toMatchObject({ engine: 'reference', reference: { checkpoints: 2 } });

    // cached: a second run does not call pretrain.py; status agrees; evaluate runs on the imported weights
    fs.rmSync(record);
    expect((await runTrain(ctx)).skipped).toBe(true);
    expect(fs.existsSync(record)).toBe(false);
    expect((await stageStates(ctx, ['train']))[0]).toMatchObject({ state: 'up to date' });
    expect((await runEvaluate(ctx)).skipped).toBe(false);
  });

  it('runs torchrun --nproc-per-node N when runtime.nproc_per_node > 1', async () => {
    const ctx = await context(tmp(), ['runtime.nproc_per_node=2']);
    const { record } = await standIn(ctx);
    await runTrain(ctx);
    expect(JSON.parse(fs.readFileSync(`${record}.torchrun`, 'utf8'))).toEqual(['--nproc-per-node', '2', '--rdzv_backend=c10d', '--rdzv_endpoint=localhost:0', '--nnodes=1']);
    expect(JSON.parse(fs.readFileSync(record, 'utf8')).localRank).toBe('0');
  });

  it('a failed reference run is an error quoting its log, and leaves no train artifact', async () => {
    const ctx = await context(tmp());
    await standIn(ctx);
    process.env.STANDIN_EXIT = '3';
    await expect(runTrain(ctx)).rejects.toThrow(/the reference run failed \(exit status 3\); its log: .*pretrain\.log; last lines:\n[\s\S]*CUDA out of memory \(stand-in\)/);
    expect(fs.existsSync(stageDir(ctx.artifacts, 'sudoku-tiny', 'train'))).toBe(false);
  });

  it('without TRM_REFERENCE_DIR (or without pretrain.py there) the error says what to set', async () => {
    const ctx = await context(tmp());
    for (const s of chain('encode')) await s.run(ctx);
    delete process.env.TRM_REFERENCE_DIR;
    await expect(runTrain(ctx)).rejects.toThrow(/runtime.engine is "reference": set TRM_REFERENCE_DIR to a checkout of github.com\/SamsungSAILMontreal\/TinyRecursiveModels/);
    process.env.TRM_REFERENCE_DIR = tmp();
    await expect(runTrain(ctx)).rejects.toThrow(/TRM_REFERENCE_DIR=.*: no pretrain\.py there/);
  });
});
