// The train stage with `runtime.engine: reference`: the run is handed to the reference implementation
// (SamsungSAILMontreal/TinyRecursiveModels, PyTorch) in the checkout TRM_REFERENCE_DIR names. The stage exports the
// encoded data in the reference layout, runs `python pretrain.py ...` (or `torchrun --nproc-per-node N pretrain.py
// ...` with runtime.nproc_per_node > 1) there, streams its log, and imports its last step_N checkpoint as the train
// artifact, so evaluate, report, caching and `trm status` work as after a tfjs run.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { COMPILE_PREFIX, stripCompilePrefix } from '@trm/reference';
import { encodeSafetensors } from '@trm/tensor-core';
import { writeArrowFile } from '../artifacts/arrow-table.ts';
import { canonicalJson } from '../artifacts/hash.ts';
import { isUpToDate, readManifest, stageDir, type Lineage } from '../artifacts/manifest.ts';
import { writeStage } from '../artifacts/stage-writer.ts';
import { catalogEntry } from '../catalog/entries.mjs';
import { log } from '../io/progress.ts';
import { requireFreshUpstream, stageKey, upstream, type StageContext, type StageResult } from '../stages/context.ts';
import { stageDeclaration } from '../stages/declarations.mjs';
import { loadEncodedMetadata } from '../stages/encoded-split.ts';
import { archConfig, metricColumns } from '../stages/train.ts';
import { readCheckpointFile, weightsForArch } from './checkpoints.ts';
import { commandLine, referenceCommand } from './command.ts';
import { exportReferenceDataset } from './export-data.ts';

export const REFERENCE_DIR_ENV = 'TRM_REFERENCE_DIR';

/** The reference checkout named by TRM_REFERENCE_DIR, checked to hold pretrain.py. */
export function referenceCheckout(): string {
  const dir = process.env[REFERENCE_DIR_ENV];
  const hint = 'a checkout of github.com/SamsungSAILMontreal/TinyRecursiveModels with its requirements installed (see the README, "Training on GPUs")';
  if (!dir) throw new Error(`runtime.engine is "reference": set ${REFERENCE_DIR_ENV} to ${hint}`);
  if (!fs.existsSync(path.join(dir, 'pretrain.py'))) throw new Error(`${REFERENCE_DIR_ENV}=${dir}: no pretrain.py there; expected ${hint}`);
  return path.resolve(dir);
}

/** `step_<N>` files of pretrain.py's checkpoint folder, highest N last. */
export function stepCheckpoints(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir)
    .map((f) => ({ f, m: /^step_(\d+)$/.exec(f) }))
    .filter((x) => x.m && fs.statSync(path.join(dir, x.f)).isFile())
    .sort((a, b) => Number(a.m![1]) - Number(b.m![1]))
    .map((x) => path.join(dir, x.f));
}

/** Runs `argv` in `cwd`, each output line passed to `line` (tqdm's \r redraws split into lines); resolves with the exit. */
function runStreaming(argv: string[], cwd: string, env: NodeJS.ProcessEnv, line: (text: string) => void): Promise<{ code: number | null; signal: NodeJS.Signals | null; stopped: string | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stopped: string | null = null;
    const forward = (sig: NodeJS.Signals) => { stopped = sig; child.kill(sig); };
    const onInt = () => forward('SIGINT');
    const onTerm = () => forward('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    const pump = (stream: NodeJS.ReadableStream) => {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const parts = (rest + chunk).split(/\r\n|\r|\n/);
        rest = parts.pop()!;
        for (const p of parts) if (p.trim()) line(p);
      });
      stream.on('end', () => { if (rest.trim()) line(rest); });
    };
    pump(child.stdout!);
    pump(child.stderr!);
    const done = () => { process.off('SIGINT', onInt); process.off('SIGTERM', onTerm); };
    child.on('error', (e) => { done(); reject(new Error(`${argv[0]}: cannot start it (${e.message}); is it installed and on the PATH?`)); });
    child.on('close', (code, signal) => { done(); resolve({ code, signal, stopped }); });
  });
}

export async function runReferenceTrain(ctx: StageContext): Promise<StageResult> {
  const decl = stageDeclaration('train');
  await requireFreshUpstream(ctx, decl);
  const key = await stageKey(ctx, decl);
  const dir = stageDir(ctx.artifacts, ctx.config.name, 'train');
  if (!ctx.force && (await isUpToDate(dir, key))) {
    log(`train: up to date (${path.relative(process.cwd(), dir) || dir})`);
    return { stage: 'train', dir, skipped: true, manifest: readManifest(dir, 'train', ctx.config.name).manifest };
  }
  const checkout = referenceCheckout();
  const work = path.join(ctx.artifacts, ctx.config.name, catalogEntry('train.reference_run').folder!);
  const dataDir = path.join(work, 'data');
  const checkpointDir = path.join(work, 'checkpoints');
  const logFile = path.join(work, 'pretrain.log');
  // this run's data, checkpoints and log (a previous reference run's are ours to replace)
  fs.rmSync(work, { recursive: true, force: true });
  fs.mkdirSync(work, { recursive: true });

  const enc = await upstream(ctx, 'encode');
  const { testPuzzles } = await exportReferenceDataset(enc, dataDir);
  const nproc = ctx.config.runtime.nproc_per_node as number;
  const cmd = referenceCommand(ctx.config, { dataDir, checkpointPath: checkpointDir, nproc, arcEvaluator: testPuzzles });
  const argv = nproc > 1
    ? [process.env.TRM_REFERENCE_TORCHRUN ?? 'torchrun', ...cmd.torchrun.slice(1)]
    : [process.env.TRM_REFERENCE_PYTHON ?? 'python', ...cmd.python.slice(1)];
  const maxSteps = ctx.config.train.max_steps as number;
  if (maxSteps > 0) log(`train: WARNING: train.max_steps=${maxSteps} has no reference counterpart; pretrain.py runs all ${ctx.config.train.epochs} epochs`);
  log(`train: handing the run to the reference in ${checkout} (log: ${logFile}):\n  ${commandLine(argv)}`);

  const logStream = fs.createWriteStream(logFile);
  // PYTHONUNBUFFERED: pretrain.py's print()s reach the log as they happen, not when a pipe's 8 KB buffer fills
  const env = { ...process.env, WANDB_MODE: process.env.WANDB_MODE ?? 'offline', PYTHONUNBUFFERED: '1' };
  const started = Date.now();
  const exit = await runStreaming(argv, checkout, env, (text) => {
    logStream.write(`${text}\n`);
    log(`reference | ${text}`);
  });
  await new Promise<void>((r) => logStream.end(() => r()));
  if (exit.stopped) throw new Error(`train: stopped by ${exit.stopped}; the reference run was interrupted (pretrain.py cannot resume: rerun the command to start it again); its log: ${logFile}`);
  if (exit.code !== 0) {
    const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n  ');
    throw new Error(`train: the reference run failed (${exit.signal ? `signal ${exit.signal}` : `exit status ${exit.code}`}); its log: ${logFile}; last lines:\n  ${tail}`);
  }
  const steps = stepCheckpoints(checkpointDir);
  if (!steps.length) throw new Error(`train: the reference run ended without a checkpoint: no step_N file in ${checkpointDir}; its log: ${logFile}`);
  const last = steps[steps.length - 1];

  const read = readCheckpointFile(last);
  const meta = await loadEncodedMetadata(path.join(enc.dir, catalogEntry('encode.train').path));
  const arch = archConfig(ctx.config, meta);
  const { weights, warnings } = weightsForArch(stripCompilePrefix(read.checkpoint.tensors, last), arch, last, ctx.config.name);
  for (const w of warnings) log(`train: WARNING: ${w}`);
  const lineage: Lineage = {
    imported: last,
    sha256: read.sha256,
    format: read.checkpoint.format,
    dtypes: [...new Set(Object.values(read.checkpoint.sourceDtypes))],
    compiled: Object.keys(read.checkpoint.tensors).some((k) => k.startsWith(COMPILE_PREFIX)),
    ...(warnings.length ? { warnings } : {}),
  };
  const reference = { checkout, command: argv, checkpoint: last, checkpoints: steps.length, log: logFile };
  const manifest = await writeStage(dir, key, async (tmp) => {
    fs.writeFileSync(path.join(tmp, catalogEntry('train.model').path), encodeSafetensors(weights, { format: 'pt', config: canonicalJson(arch) }));
    fs.writeFileSync(path.join(tmp, catalogEntry('train.state_meta').path), JSON.stringify({ arch, seed: ctx.config.seed, engine: 'reference', reference, lineage }, null, 2) + '\n');
    await writeArrowFile(path.join(tmp, catalogEntry('train.metrics').path), metricColumns, []); // pretrain.py logs its metrics to Weights & Biases
    return { engine: 'reference', secondsTraining: (Date.now() - started) / 1000, reference };
  }, { lineage });
  fs.rmSync(dataDir, { recursive: true, force: true }); // the exported copy of the encode tables; kept only when the run fails
  log(`train: imported ${last} (the last of ${steps.length} checkpoints) as ${dir}`);
  return { stage: 'train', dir, skipped: false, manifest };
}
