// Checkpoints between this pipeline and the reference: export -> import round trip, torch.load of the export
// (when python3 with torch is installed), import of the reference's own files into a config, and the refusals.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { readCheckpoint, readSafetensors, stripCompilePrefix } from '@trm/reference';
import { decodeSafetensors, encodeSafetensors, type TensorDict } from '@trm/tensor-core';
import { loadConfig } from '../config/load.ts';
import { configsDir, workspaceRoot } from '../workspace.ts';
import { isUpToDate, readManifest, stageDir } from '../artifacts/manifest.ts';
import { openStage } from '../artifacts/open-stage.ts';
import { stageKey, type StageContext } from '../stages/context.ts';
import { chain } from '../stages/index.ts';
import { runTrain } from '../stages/train.ts';
import { runEvaluate } from '../stages/evaluate.ts';
import { convertCheckpoint, exportReferenceCheckpoint, importCheckpoint } from './checkpoints.ts';

process.env.TRM_QUIET = '1';
const root = workspaceRoot();
const FIXTURES = path.join(root, '../shared/fixtures/checkpoints');
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'trm-ckpt-'));

async function context(name: string, artifacts: string, sets: string[] = [], dir = configsDir(root)): Promise<StageContext> {
  const { config, dataset } = await loadConfig(name, { dir, root, sets });
  return { config, dataset, root, artifacts };
}

async function runUpTo(ctx: StageContext, stage: 'encode' | 'train') {
  for (const s of chain(stage)) await s.run(ctx);
}

const bits = (t: TensorDict[string]) => new Uint32Array((t.data as Float32Array).buffer, (t.data as Float32Array).byteOffset, t.data.length);
function expectBitEqual(a: TensorDict, b: TensorDict): void {
  expect(Object.keys(a).sort()).toEqual(Object.keys(b).sort());
  for (const k of Object.keys(a)) {
    expect(a[k].shape, k).toEqual(b[k].shape);
    expect(Buffer.compare(Buffer.from(bits(a[k]).buffer, bits(a[k]).byteOffset, bits(a[k]).byteLength), Buffer.from(bits(b[k]).buffer, bits(b[k]).byteOffset, bits(b[k]).byteLength)), `${k} differs`).toBe(0);
  }
}

const modelOf = (artifacts: string, config: string) => decodeSafetensors(new Uint8Array(fs.readFileSync(path.join(stageDir(artifacts, config, 'train'), 'model.safetensors'))), 'model.safetensors').tensors;

describe('export --format reference-checkpoint -> import-checkpoint', () => {
  const trained = tmp();
  const SETS = ['train.max_steps=4', 'runtime.workers=0'];

  it('round-trips a trained model bit for bit and makes it the train artifact (lineage in the manifest)', async () => {
    const ctx = await context('sudoku-tiny', trained, SETS);
    await runUpTo(ctx, 'train');
    const original = modelOf(trained, 'sudoku-tiny');
    const file = path.join(tmp(), 'sudoku-tiny.pt');
    await exportReferenceCheckpoint(ctx, file);
    const ck = readCheckpoint(new Uint8Array(fs.readFileSync(file)), file);
    expect(ck.format).toBe('pytorch-zip');
    expect(Object.keys(ck.tensors).every((k) => k.startsWith('_orig_mod.model.inner.'))).toBe(true);
    expectBitEqual(stripCompilePrefix(ck.tensors), original);

    // into a fresh artifacts folder: the import is the train artifact, train counts as up to date, evaluate runs
    const other = tmp();
    const ctx2 = await context('sudoku-tiny', other, SETS);
    await runUpTo(ctx2, 'encode');
    await importCheckpoint(ctx2, file);
    expectBitEqual(modelOf(other, 'sudoku-tiny'), original);
    const { manifest } = readManifest(stageDir(other, 'sudoku-tiny', 'train'), 'train', 'sudoku-tiny');
    expect(manifest.lineage).toMatchObject({ imported: file, format: 'pytorch-zip', dtypes: ['float32'], compiled: true });
    expect(manifest.lineage!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(await isUpToDate(stageDir(other, 'sudoku-tiny', 'train'), await stageKey(ctx2, 'train'))).toBe(true);
    expect((await runTrain(ctx2)).skipped).toBe(true);
    const ev = await runEvaluate(ctx2);
    expect(ev.skipped).toBe(false);
    await runEvaluate(ctx);
    const mine = await openStage(trained, 'sudoku-tiny', 'evaluate');
    const theirs = await openStage(other, 'sudoku-tiny', 'evaluate');
    expect(theirs.json('metrics.json')).toEqual(mine.json('metrics.json')); // same weights, same predictions
  });

  it('round-trips a trained sudoku-quick model (mlp_t, EMA weights) bit for bit', async () => {
    const dir = tmp();
    const ctx = await context('sudoku-quick', dir, ['train.max_steps=3', 'runtime.workers=0']);
    await runUpTo(ctx, 'train');
    const original = modelOf(dir, 'sudoku-quick');
    expect(Object.keys(original).some((k) => k.includes('mlp_t'))).toBe(true);
    const file = path.join(tmp(), 'step_3');
    await exportReferenceCheckpoint(ctx, file);
    expectBitEqual(stripCompilePrefix(readCheckpoint(new Uint8Array(fs.readFileSync(file)), file).tensors), original);
    const other = tmp();
    const ctx2 = await context('sudoku-quick', other, ['train.max_steps=3', 'runtime.workers=0']);
    await runUpTo(ctx2, 'encode');
    await importCheckpoint(ctx2, file);
    expectBitEqual(modelOf(other, 'sudoku-quick'), original);
  });

  it('torch.load reads the export bit for bit (python3 with torch, when installed)', async () => {
    const ctx = await context('sudoku-tiny', trained, SETS);
    await runUpTo(ctx, 'train');
    const file = path.join(tmp(), 'step_4');
    await exportReferenceCheckpoint(ctx, file);
    const script = [
      'import sys, json, hashlib, torch',
      'sd = torch.load(sys.argv[1], map_location="cpu")',
      'print(json.dumps({"torch": torch.__version__, "type": type(sd).__name__, "keys": list(sd.keys()), "dtypes": sorted({str(v.dtype) for v in sd.values()}),',
      '  "shapes": {k: list(v.shape) for k, v in sd.items()}, "sha256": {k: hashlib.sha256(v.contiguous().numpy().tobytes()).hexdigest() for k, v in sd.items()}}))',
    ].join('\n');
    // Debian's python3-torch goes with the system python (/usr/bin/python3), which may not be the first python3 on PATH
    const runs = ['/usr/bin/python3', 'python3'].map((py) => ({ py, run: spawnSync(py, ['-c', script, file], { encoding: 'utf8' }) }));
    const ran = runs.find((r) => !r.run.error && !/No module named .?torch/.test(r.run.stderr));
    if (!ran) {
      console.log(`skipped: no python3 with torch here (${runs.map((r) => `${r.py}: ${(r.run.stderr || r.run.error?.message || '').trim().split('\n').pop()}`).join('; ')}); apt-get install python3-torch enables this check`);
      return;
    }
    const run = ran.run;
    expect(run.status, run.stderr).toBe(0);
    const seen = JSON.parse(run.stdout.trim().split('\n').pop()!);
    const original = modelOf(trained, 'sudoku-tiny');
    expect(seen.type).toBe('OrderedDict');
    expect(seen.dtypes).toEqual(['torch.float32']);
    expect(seen.keys.sort()).toEqual(Object.keys(original).map((k) => `_orig_mod.${k}`).sort());
    for (const [k, t] of Object.entries(original)) {
      expect(seen.shapes[`_orig_mod.${k}`]).toEqual(t.shape);
      const d = t.data as Float32Array;
      expect(seen.sha256[`_orig_mod.${k}`], `${k}: torch's bytes`).toBe(createHash('sha256').update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength)).digest('hex'));
    }
    console.log(`torch ${seen.torch} (${ran.py}) read ${file}: ${seen.keys.length} float32 tensors`);
  });
});

describe('import-checkpoint of the reference\'s own files', () => {
  /** A config with the arch of the parity fixture models, on 4x4 Sudoku (seq_len 16, vocab 6: the fixtures' data shape). */
  async function fixtureArchContext(arch: Record<string, unknown>): Promise<StageContext> {
    const dir = tmp();
    fs.writeFileSync(path.join(dir, 'fx.json'), JSON.stringify({
      extends: path.join(root, 'configs/sudoku-tiny.json'),
      arch: { hidden_size: 32, num_heads: 2, expansion: 2, H_cycles: 2, L_cycles: 2, L_layers: 2, puzzle_emb_ndim: 32, puzzle_emb_len: 2, halt_max_steps: 4, halt_exploration_prob: 0, ...arch },
    }));
    const ctx = await context('fx', path.join(dir, 'artifacts'), ['runtime.workers=0'], dir);
    await runUpTo(ctx, 'encode');
    return ctx;
  }

  it('step_5 of an mlp_t model: weights kept, the 5-row puzzle embedding reset to its mean for the 1 identifier here', async () => {
    const ctx = await fixtureArchContext({ mlp_t: true, pos_encodings: 'none' });
    const file = path.join(FIXTURES, 'mlp_t/step_5');
    const messages: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.env.TRM_QUIET = '0';
    process.stderr.write = ((s: string) => { messages.push(String(s)); return true; }) as typeof process.stderr.write;
    try {
      await importCheckpoint(ctx, file);
    } finally {
      process.stderr.write = write;
      process.env.TRM_QUIET = '1';
    }
    expect(messages.join('')).toMatch(/WARNING: .*step_5: resetting the puzzle embedding as its shape is different: found \[5, 32\], expected \[1, 32\]/);
    const imported = modelOf(ctx.artifacts, 'fx');
    const source = stripCompilePrefix(readCheckpoint(new Uint8Array(fs.readFileSync(file)), file).tensors);
    const emb = 'model.inner.puzzle_emb.weights';
    const { [emb]: table, ...rest } = source;
    const { [emb]: reset, ...importedRest } = imported;
    expectBitEqual(importedRest, rest);
    const rows = table.shape[0];
    const D = table.shape[1];
    for (let j = 0; j < D; j++) {
      let s = 0;
      for (let r = 0; r < rows; r++) s += (table.data as Float32Array)[r * D + j];
      expect((reset.data as Float32Array)[j]).toBe(Math.fround(s / rows));
    }
    expect(readManifest(stageDir(ctx.artifacts, 'fx', 'train'), 'train', 'fx').manifest.lineage?.warnings?.[0]).toMatch(/resetting the puzzle embedding/);
    expect((await runEvaluate(ctx)).skipped).toBe(false); // evaluate runs on it
  });

  // pretrain.py +load_checkpoint= runs model.load_state_dict(torch.load(FILE)) (strict): an export must hold exactly the
  // keys, shapes and dtype of what the reference itself saves for the same arch
  const stepFiles = fs.readdirSync(FIXTURES).filter((d) => fs.existsSync(path.join(FIXTURES, d, 'step_5'))).sort();
  it.each(stepFiles)('%s: import step_5, export it again: the reference\'s own keys, shapes and float32 values', async (name) => {
    const { config } = JSON.parse(fs.readFileSync(path.join(root, `../shared/fixtures/parity/${name}_eval.json`), 'utf8')) as { config: { mlp_t: boolean; pos_encodings: string } };
    const ctx = await fixtureArchContext({ mlp_t: config.mlp_t, pos_encodings: config.pos_encodings });
    const file = path.join(FIXTURES, name, 'step_5');
    await importCheckpoint(ctx, file);
    const out = path.join(tmp(), 'step_5');
    await exportReferenceCheckpoint(ctx, out);
    const theirs = readCheckpoint(new Uint8Array(fs.readFileSync(file)), file);
    const ours = readCheckpoint(new Uint8Array(fs.readFileSync(out)), out);
    expect(Object.keys(ours.tensors).sort()).toEqual(Object.keys(theirs.tensors).sort());
    expect(new Set(Object.values(ours.sourceDtypes))).toEqual(new Set(['float32']));
    const emb = '_orig_mod.model.inner.puzzle_emb.weights'; // reset to the mean row on import (1 identifier here, 5 there)
    const { [emb]: ourEmb, ...ourRest } = ours.tensors;
    const { [emb]: theirEmb, ...theirRest } = theirs.tensors;
    expectBitEqual(ourRest, theirRest);
    expect(ourEmb.shape.slice(1)).toEqual(theirEmb.shape.slice(1));
  });

  it('an arch that does not fit: the error names the first mismatching tensor and both shapes; nothing is written', async () => {
    const ctx = await fixtureArchContext({ mlp_t: true, pos_encodings: 'none', hidden_size: 16, num_heads: 2, puzzle_emb_ndim: 16 });
    await expect(importCheckpoint(ctx, path.join(FIXTURES, 'mlp_t/plain.pt'))).rejects.toThrow(/plain\.pt: first mismatching tensor "model\.inner\.H_init": the file has \[32\], config fx's arch needs \[16\]/);
    const attn = await fixtureArchContext({ mlp_t: false, pos_encodings: 'rope' });
    await expect(importCheckpoint(attn, path.join(FIXTURES, 'mlp_t/plain.pt'))).rejects.toThrow(/tensor "model\.inner\.L_level\.layers\.0\.mlp_t\.gate_up_proj\.weight" \[512, 18\] is not a parameter of config fx's arch/);
    expect(fs.existsSync(stageDir(ctx.artifacts, 'fx', 'train'))).toBe(false);
  });

  it('a checkpoint whose pickle calls os.system is refused and leaves no train artifact', async () => {
    const ctx = await fixtureArchContext({ mlp_t: true, pos_encodings: 'none' });
    const evil = path.join(tmp(), 'step_9');
    const pickle = Uint8Array.from([0x80, 2, 0x63, ...new TextEncoder().encode('os\nsystem\n'), 0x58, 4, 0, 0, 0, ...new TextEncoder().encode('true'), 0x85, 0x52, 0x2e]);
    fs.writeFileSync(evil, zipSync({ 'step_9/data.pkl': pickle, 'step_9/version': new TextEncoder().encode('3\n') }));
    await expect(importCheckpoint(ctx, evil)).rejects.toThrow(/step_9\/data\.pkl: refused global os\.system/);
    expect(fs.existsSync(stageDir(ctx.artifacts, 'fx', 'train'))).toBe(false);
  });
});

describe('convert-checkpoint', () => {
  it('writes float32 safetensors under the reference names (exactly the parity fixture\'s keys), keeping metadata', () => {
    const out = path.join(tmp(), 'mlp_t.safetensors');
    const r = convertCheckpoint(path.join(FIXTURES, 'mlp_t/bf16.pt'), out);
    const back = readSafetensors(new Uint8Array(fs.readFileSync(out)), out);
    const params = Object.keys((JSON.parse(fs.readFileSync(path.join(root, '../shared/fixtures/parity/mlp_t_eval.json'), 'utf8')) as { params: object }).params);
    expect(Object.keys(back.tensors).sort()).toEqual(params.sort());
    expect(new Set(Object.values(back.sourceDtypes))).toEqual(new Set(['float32']));
    expect(r.tensors).toBe(params.length);
    // a safetensors input (here: compiled names, bfloat16-valued float32) keeps its metadata; nothing is overwritten
    const withMeta = path.join(path.dirname(out), 'shared.safetensors');
    fs.writeFileSync(withMeta, encodeSafetensors(Object.fromEntries(Object.entries(back.tensors).map(([k, t]) => [`_orig_mod.${k}`, t])), { source: 'a GPU run', step: '65000' }));
    const again = path.join(path.dirname(out), 'again.safetensors');
    expect(convertCheckpoint(withMeta, again).metadata).toEqual({ source: 'a GPU run', step: '65000' });
    const converted = readSafetensors(new Uint8Array(fs.readFileSync(again)), again);
    expect(converted.metadata).toEqual({ source: 'a GPU run', step: '65000' });
    expectBitEqual(converted.tensors, back.tensors);
    expect(() => convertCheckpoint(withMeta, again)).toThrow(/already exists/);
    expect(() => convertCheckpoint(out, path.join(path.dirname(out), 'x.pt'))).toThrow(/must be a \.safetensors file/);
  });
});
