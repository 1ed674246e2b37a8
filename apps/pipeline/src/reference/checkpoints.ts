// Checkpoints in and out of the reference formats: import-checkpoint (a reference checkpoint becomes the config's
// train artifact), convert-checkpoint (any reference checkpoint to float32 safetensors) and
// `export --format reference-checkpoint` (the train artifact as a PyTorch zip that torch.load and pretrain.py read).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMPILE_PREFIX, addCompilePrefix, meanRowsTable, readCheckpoint, stripCompilePrefix, writeTorchZip } from '@trm/reference';
import type { Checkpoint } from '@trm/reference';
import { bufferSpecs, paramSpecs, type ArchConfig } from '@trm/trm';
import { decodeSafetensors, encodeSafetensors, type TensorDict } from '@trm/tensor-core';
import { writeArrowFile } from '../artifacts/arrow-table.ts';
import { canonicalJson, sha256 } from '../artifacts/hash.ts';
import { stageDir, type Lineage } from '../artifacts/manifest.ts';
import { openStage } from '../artifacts/open-stage.ts';
import { writeFileAtomic, writeStage } from '../artifacts/stage-writer.ts';
import { log } from '../io/progress.ts';
import { requireFreshUpstream, stageKey, upstream, type StageContext, type StageResult } from '../stages/context.ts';
import { stageDeclaration } from '../stages/declarations.mjs';
import { catalogEntry } from '../catalog/entries.mjs';
import { loadEncodedMetadata } from '../stages/encoded-split.ts';
import { archConfig, metricColumns } from '../stages/train.ts';
import { acquireLock } from '../run/lock.ts';

/** The reference's name of the puzzle-embedding table (without `_orig_mod.`). */
const PUZZLE_EMB = 'model.inner.puzzle_emb.weights';

export interface ReadFile {
  file: string;
  sha256: string;
  checkpoint: Checkpoint;
}

export function readCheckpointFile(file: string): ReadFile {
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file`);
  if (fs.statSync(file).isDirectory()) throw new Error(`${file}: a folder; expected a checkpoint file (pretrain.py's step_N, a .pt or a .safetensors)`);
  const bytes = new Uint8Array(fs.readFileSync(file));
  return { file, sha256: sha256(bytes), checkpoint: readCheckpoint(bytes, file) };
}

const shapeText = (s: readonly number[]) => `[${s.join(', ')}]`;

/**
 * The float32 weights of `arch` from a state dict (names without `_orig_mod.`), checked tensor by tensor in the
 * file's order: the first tensor this arch does not have, or has in another shape, is an error naming it and both
 * shapes. A puzzle-embedding table with another row count is reset as the reference's load_checkpoint does (every row
 * the mean of the file's rows), with a warning.
 */
export function weightsForArch(tensors: TensorDict, arch: ArchConfig, who: string, configName: string): { weights: TensorDict; warnings: string[] } {
  const specs = [...paramSpecs(arch), ...bufferSpecs(arch)];
  const wanted = new Map(specs.map((s) => [s.name, s.shape]));
  const warnings: string[] = [];
  const weights: TensorDict = {};
  for (const [name, t] of Object.entries(tensors)) {
    const shape = wanted.get(name);
    if (!shape) {
      throw new Error(`${who}: tensor "${name}" ${shapeText(t.shape)} is not a parameter of config ${configName}'s arch (mlp_t ${arch.mlp_t}, pos_encodings ${arch.pos_encodings}, L_layers ${arch.L_layers}, puzzle_emb_ndim ${arch.puzzle_emb_ndim}); is it a checkpoint of another architecture?`);
    }
    if (t.dtype !== 'float32') throw new Error(`${who}: tensor "${name}" is ${t.dtype}; expected floating-point weights`);
    const same = t.shape.length === shape.length && t.shape.every((n, i) => n === shape[i]);
    if (!same && name === PUZZLE_EMB && t.shape.length === 2 && t.shape[1] === shape[1]) {
      warnings.push(`${who}: resetting the puzzle embedding as its shape is different: found ${shapeText(t.shape)}, expected ${shapeText(shape)} (config ${configName} has ${shape[0]} puzzle identifiers); every row becomes the mean of the file's ${t.shape[0]} rows, as the reference's load_checkpoint does`);
      weights[name] = meanRowsTable(t, shape[0]);
      continue;
    }
    if (!same) throw new Error(`${who}: first mismatching tensor "${name}": the file has ${shapeText(t.shape)}, config ${configName}'s arch needs ${shapeText(shape)}`);
    weights[name] = t;
  }
  const missing = specs.filter((s) => !(s.name in weights));
  if (missing.length) throw new Error(`${who}: no tensor "${missing[0].name}" (${shapeText(missing[0].shape)} in config ${configName}'s arch)${missing.length > 1 ? ` and ${missing.length - 1} more` : ''}`);
  // in the engine's order (the reference's named_parameters, then buffers)
  return { weights: Object.fromEntries(specs.map((s) => [s.name, weights[s.name]])), warnings };
}

/** `import-checkpoint --config NAME FILE`: the checkpoint as the config's train artifact (the encode stage must exist). */
export async function importCheckpoint(ctx: StageContext, file: string): Promise<StageResult> {
  const read = readCheckpointFile(path.resolve(file));
  const { checkpoint } = read;
  const train = stageDeclaration('train');
  await requireFreshUpstream(ctx, train);
  const enc = await upstream(ctx, 'encode');
  const meta = await loadEncodedMetadata(path.join(enc.dir, catalogEntry('encode.train').path));
  const arch = archConfig(ctx.config, meta);
  const { weights, warnings } = weightsForArch(stripCompilePrefix(checkpoint.tensors, file), arch, file, ctx.config.name);
  for (const w of warnings) log(`import-checkpoint: WARNING: ${w}`);
  const dtypes = [...new Set(Object.values(checkpoint.sourceDtypes))];
  const lineage: Lineage = {
    imported: path.resolve(file),
    sha256: read.sha256,
    format: checkpoint.format,
    dtypes,
    compiled: Object.keys(checkpoint.tensors).some((k) => k.startsWith(COMPILE_PREFIX)),
    ...(warnings.length ? { warnings } : {}),
  };
  const key = await stageKey(ctx, train);
  const dir = stageDir(ctx.artifacts, ctx.config.name, 'train');
  acquireLock(ctx.artifacts, ctx.config.name, log); // one writer per config; runs' checkpoints in train.partial stay (each names its settings)
  const manifest = await writeStage(dir, key, async (tmp) => {
    fs.writeFileSync(path.join(tmp, catalogEntry('train.model').path), encodeSafetensors(weights, { ...checkpoint.metadata, format: 'pt', config: canonicalJson(arch) }));
    fs.writeFileSync(path.join(tmp, catalogEntry('train.state_meta').path), JSON.stringify({ arch, seed: ctx.config.seed, lineage }, null, 2) + '\n');
    await writeArrowFile(path.join(tmp, catalogEntry('train.metrics').path), metricColumns, []); // no training steps ran here
    return { imported: lineage.imported, sha256: lineage.sha256 };
  }, { lineage });
  log(`import-checkpoint: ${file} (${checkpoint.format}, ${dtypes.join('/')}, sha256 ${read.sha256.slice(0, 12)}…) is now the train artifact of ${ctx.config.name}: ${dir}`);
  return { stage: 'train', dir, skipped: false, manifest };
}

/** `convert-checkpoint IN OUT.safetensors`: every tensor as float32 under the reference names without `_orig_mod.`. */
export function convertCheckpoint(input: string, output: string): { tensors: number; metadata: Record<string, string> } {
  if (!output.endsWith('.safetensors')) throw new Error(`${output}: the output must be a .safetensors file`);
  if (fs.existsSync(output)) throw new Error(`${output}: already exists (nothing is overwritten)`);
  const { checkpoint } = readCheckpointFile(input);
  const tensors = stripCompilePrefix(checkpoint.tensors, input);
  for (const [name, t] of Object.entries(tensors)) if (t.dtype !== 'float32') throw new Error(`${input}: tensor "${name}" is ${t.dtype}; only floating-point tensors are converted`);
  fs.mkdirSync(path.dirname(path.resolve(output)), { recursive: true });
  writeFileAtomic(output, encodeSafetensors(tensors, checkpoint.metadata));
  return { tensors: Object.keys(tensors).length, metadata: checkpoint.metadata };
}

/** `export --format reference-checkpoint --out FILE`: the trained model (EMA weights when `ema`) with `_orig_mod.` keys. */
export async function exportReferenceCheckpoint(ctx: StageContext, out: string): Promise<void> {
  if (fs.existsSync(out)) throw new Error(`${out}: already exists (nothing is overwritten)`);
  const train = await openStage(ctx.artifacts, ctx.config.name, 'train');
  const model = train.file(catalogEntry('train.model').path);
  const { tensors } = decodeSafetensors(new Uint8Array(fs.readFileSync(model)), model);
  const archive = path.basename(out).replace(/\.[^.]*$/, '').replace(/[^\w.-]/g, '_') || 'archive';
  fs.mkdirSync(path.dirname(out), { recursive: true });
  writeFileAtomic(out, writeTorchZip(addCompilePrefix(tensors), { archive }));
  log(`export: wrote ${out} (${Object.keys(tensors).length} tensors of ${ctx.config.name}'s train artifact, keys ${COMPILE_PREFIX}model.inner.*); continue training with pretrain.py +load_checkpoint=${out}`);
}
