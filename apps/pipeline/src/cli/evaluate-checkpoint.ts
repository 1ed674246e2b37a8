// `trm evaluate --config NAME --checkpoint FILE`: evaluates any model file (a mid-run checkpoint's model.safetensors,
// a finished train stage's, an imported one) on the config's test split as the evaluate stage does, and prints the
// metrics. It writes nothing and takes no run lock, so it works while that config is training.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { archFromMetadata, checkFits, evaluateModel, ModelFileError } from '@trm/trm';
import { decodeSafetensors } from '@trm/tensor-core';
import { readManifest, stageDir } from '../artifacts/manifest.ts';
import { entryPath } from '../catalog/index.ts';
import { log } from '../io/progress.ts';
import { describeWorkers } from '../config/workers.ts';
import { selectBackend } from '../stages/backend.ts';
import type { StageContext } from '../stages/context.ts';
import { loadEncodedSplit } from '../stages/encoded-split.ts';
import { evaluateWorkers, withEvalModel } from '../stages/evaluate.ts';
import { intervalRow, subsampleSplit } from '../stages/interval-eval-run.ts';
import type { IntervalEval } from '../stages/interval-evals.ts';

export interface CheckpointEvaluation extends IntervalEval {
  checkpoint: string;
  config: string;
  backend: string;
}

/** A usage problem of --checkpoint (exit 2), as opposed to a failure. */
export class CheckpointUsageError extends Error {
  override name = 'CheckpointUsageError';
}

export async function evaluateCheckpoint(ctx: StageContext, file: string, opts: { subsample?: number } = {}): Promise<CheckpointEvaluation> {
  const shown = path.relative(ctx.root, path.resolve(file)) || file;
  if (!fs.existsSync(file)) throw new CheckpointUsageError(`--checkpoint ${file}: no such file`);
  if (fs.statSync(file).isDirectory()) throw new CheckpointUsageError(`--checkpoint ${file}: a folder; expected a .safetensors model file (e.g. ${path.join(file, 'model.safetensors')})`);
  const encDir = stageDir(ctx.artifacts, ctx.config.name, 'encode');
  readManifest(encDir, 'encode', ctx.config.name); // names the stage to run when it is missing
  const { split, meta } = await loadEncodedSplit(entryPath(ctx.artifacts, ctx.config.name, 'encode.test'));
  const decoded = (() => {
    try {
      return decodeSafetensors(new Uint8Array(fs.readFileSync(file)), shown);
    } catch (e) {
      throw new ModelFileError((e as Error).message);
    }
  })();
  const metadata = decoded.metadata ?? {};
  const arch = archFromMetadata(metadata, shown);
  checkFits(arch, { seqLen: split.seqLen, vocabSize: split.vocabSize, numPuzzleIdentifiers: meta.num_puzzle_identifiers, what: `the test data of config ${ctx.config.name}` }, shown);
  const backend = await selectBackend(ctx.config);
  const plan = evaluateWorkers(ctx.config, backend.name);
  const sample = subsampleSplit(split, opts.subsample ?? 0);
  const batchSize = ctx.config.evaluate.batch_size as number;
  log(`evaluate: ${shown} on ${sample.split.puzzleIdentifiers.length} test examples of ${ctx.config.name}, ${arch.halt_max_steps} supervision steps each, on ${backend.name}, ${describeWorkers(plan)}`);
  const res = await withEvalModel(arch, 0, plan, backend.name, async (model) => {
    model.loadStateDict(decoded.tensors);
    return evaluateModel(model, sample.split, { batchSize, trajectoryExamples: 0 });
  });
  const auxFile = entryPath(ctx.artifacts, ctx.config.name, 'encode.aux');
  const aux = fs.existsSync(auxFile) ? JSON.parse(fs.readFileSync(auxFile, 'utf8')) : null;
  const step = Number(metadata['trm.step'] ?? NaN);
  const epoch = Number(metadata['trm.epoch'] ?? NaN);
  const row = intervalRow(Number.isInteger(step) ? step : -1, Number.isFinite(epoch) ? epoch : -1, sample.split, res, ctx.dataset.lib, ctx.config.evaluate, aux, sample.rows);
  return { ...row, checkpoint: shown, config: ctx.config.name, backend: backend.name };
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

/** The evaluation as a person reads it. */
export function formatCheckpointEvaluation(e: CheckpointEvaluation): string {
  const at = e.step >= 0 ? ` (step ${e.step}${e.epoch >= 0 ? `, epoch ${Number(e.epoch.toFixed(2))}` : ''})` : '';
  const lines = [
    `${e.config}: ${e.checkpoint}${at} on ${e.examples} test examples (${e.backend})`,
    `  exact accuracy   ${pct(e.exact_accuracy)}`,
    `  token accuracy   ${pct(e.token_accuracy)}`,
    `  q_halt accuracy  ${pct(e.q_halt_accuracy)}`,
    `  exact accuracy after each supervision step: ${e.exact_accuracy_per_step.map(pct).join(' ')}`,
    ...Object.entries(e.task).map(([k, v]) => `  ${k.padEnd(16)} ${v >= 0 && v <= 1 ? pct(v) : v}`),
  ];
  return lines.join('\n');
}
