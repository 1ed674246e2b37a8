// Evaluate's finished batches, kept in artifacts/<config>/evaluate.partial/ (a CheckpointStore whose step is the
// number of finished batches) so that a long evaluation stopped by a signal, or killed, resumes from its last saved
// batch: every 30 s and on a stop. They are resumed only by an evaluation of exactly the same inputs (the evaluate
// key: config sections, train and encode manifests, code, backend); anything else discards them, saying so.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { EvalBatchResult } from '@trm/trm';
import { decodeSafetensors, encodeSafetensors, type TensorDict } from '@trm/tensor-core';
import { canonicalJson } from '../artifacts/hash.ts';
import type { ManifestKey } from '../artifacts/manifest.ts';
import { CheckpointStore } from '../io/checkpoint-store.ts';
import type { StageContext } from './context.ts';
import { EVAL_BATCHES_FILE as FILE } from '../catalog/checkpoints.ts';
import { entryFolder } from '../catalog/entries.mjs';

export const EVAL_FLUSH_SECONDS = 30;

export interface EvalProgressInfo {
  /** the evaluate key the batches were computed under */
  key: ManifestKey;
  batches: number;
  examples: number;
  totalExamples: number;
  totalBatches: number;
}

export function evaluatePartialDir(ctx: StageContext): string {
  return entryFolder(ctx.artifacts, ctx.config.name, 'evaluate.batches');
}

/** The finished batches as one safetensors file (concatenated, with each batch's start and count). */
export function encodeBatches(batches: EvalBatchResult[], T: number, S: number): Uint8Array {
  const cat = <A extends Uint8Array | Int32Array | Float32Array | Float64Array>(parts: A[], make: (n: number) => A): A => {
    const out = make(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
  const rows = batches.reduce((n, b) => n + b.count, 0);
  const traj = batches.flatMap((b) => b.trajectory.flatMap((steps) => steps));
  const dict: TensorDict = {
    batch: { dtype: 'int32', shape: [batches.length], data: Int32Array.from(batches, (b) => b.batch) },
    start: { dtype: 'int32', shape: [batches.length], data: Int32Array.from(batches, (b) => b.start) },
    count: { dtype: 'int32', shape: [batches.length], data: Int32Array.from(batches, (b) => b.count) },
    trajectory_rows: { dtype: 'int32', shape: [batches.length], data: Int32Array.from(batches, (b) => b.trajectory.length) },
    preds: { dtype: 'uint8', shape: [rows, S], data: cat(batches.map((b) => b.preds), (n) => new Uint8Array(n)) },
    q_halt: { dtype: 'float32', shape: [rows], data: cat(batches.map((b) => b.qHalt), (n) => new Float32Array(n)) },
    steps: { dtype: 'int32', shape: [rows], data: cat(batches.map((b) => b.steps), (n) => new Int32Array(n)) },
    labelled: { dtype: 'uint8', shape: [rows], data: cat(batches.map((b) => b.labelled), (n) => new Uint8Array(n)) },
    token_acc_per_step: { dtype: 'float64', shape: [rows * T], data: cat(batches.map((b) => b.tokenAccPerStep), (n) => new Float64Array(n)) },
    exact_per_step: { dtype: 'uint8', shape: [rows * T], data: cat(batches.map((b) => b.exactPerStep), (n) => new Uint8Array(n)) },
    trajectory: { dtype: 'uint8', shape: [traj.length, S], data: cat(traj, (n) => new Uint8Array(n)) },
  };
  return encodeSafetensors(dict);
}

export function decodeBatches(bytes: Uint8Array, file: string, T: number, S: number): EvalBatchResult[] {
  const t = decodeSafetensors(bytes, file).tensors;
  const get = <A>(name: string) => {
    if (!t[name]) throw new Error(`${file}: no tensor ${name}`);
    return t[name].data as unknown as A;
  };
  const [batch, start, count, trajRows] = ['batch', 'start', 'count', 'trajectory_rows'].map((n) => get<Int32Array>(n));
  const preds = get<Uint8Array>('preds');
  const qHalt = get<Float32Array>('q_halt');
  const steps = get<Int32Array>('steps');
  const labelled = get<Uint8Array>('labelled');
  const acc = get<Float64Array>('token_acc_per_step');
  const exact = get<Uint8Array>('exact_per_step');
  const traj = get<Uint8Array>('trajectory');
  const out: EvalBatchResult[] = [];
  let row = 0;
  let trow = 0;
  for (let i = 0; i < batch.length; i++) {
    const c = count[i];
    const trajectory = Array.from({ length: trajRows[i] }, (_, b) => Array.from({ length: T }, (_, s) => traj.slice((trow + b * T + s) * S, (trow + b * T + s + 1) * S)));
    out.push({
      batch: batch[i], start: start[i], count: c,
      preds: preds.slice(row * S, (row + c) * S),
      qHalt: qHalt.slice(row, row + c),
      steps: steps.slice(row, row + c),
      labelled: labelled.slice(row, row + c),
      tokenAccPerStep: acc.slice(row * T, (row + c) * T),
      exactPerStep: exact.slice(row * T, (row + c) * T),
      trajectory,
    });
    row += c;
    trow += trajRows[i] * T;
  }
  return out;
}

/** The store of finished batches, and the batches a run with `key` may resume (discarding others, saying so). */
export function openEvalProgress(ctx: StageContext, dir: string, key: ManifestKey, T: number, S: number, log: (m: string) => void): { store: CheckpointStore<EvalProgressInfo>; done: EvalBatchResult[] } {
  const store = new CheckpointStore<EvalProgressInfo>(dir, { log: (m) => log(`evaluate: ${m}`) });
  if (!store.exists()) return { store, done: [] };
  if (ctx.resume?.restart) {
    const n = store.list().filter((e) => e.record).at(-1)?.record?.info.batches;
    log(`evaluate: --restart: discarding ${n ?? 'the'} finished batches in ${store.dir}`);
    store.removeAll();
    return { store, done: [] };
  }
  const newest = store.latest();
  if (!newest) return { store, done: [] };
  if (canonicalJson(newest.record.info.key) !== canonicalJson(key)) {
    log(`evaluate: the ${newest.record.info.batches} finished batches in ${store.dir} were computed from other inputs (config, trained model, data, code or backend); discarding them`);
    store.removeAll();
    return { store, done: [] };
  }
  const done = decodeBatches(newest.files[FILE], path.join(newest.dir, FILE), T, S);
  return { store, done };
}

export function saveEvalProgress(store: CheckpointStore<EvalProgressInfo>, done: EvalBatchResult[], info: Omit<EvalProgressInfo, 'batches' | 'examples'>, T: number, S: number): void {
  const examples = done.reduce((n, b) => n + b.count, 0);
  store.write(done.length, { [FILE]: encodeBatches(done, T, S) }, { ...info, batches: done.length, examples });
}

/** `trm status` lines about evaluate's finished batches. */
export function evaluateProgress(ctx: StageContext): string[] {
  const store = new CheckpointStore<EvalProgressInfo>(evaluatePartialDir(ctx));
  if (!store.exists()) return [];
  const newest = store.list().filter((e) => e.record).at(-1);
  if (!newest?.record) return fs.readdirSync(store.dir).length ? [`evaluate: ${store.dir} holds no usable batches (the next evaluate removes it)`] : [];
  const i = newest.record.info;
  return [`evaluate: ${i.batches} of ${i.totalBatches} batches (${i.examples} of ${i.totalExamples} examples) finished in ${store.dir}; \`trm evaluate --config ${ctx.config.name}\` resumes them if the trained model and settings are unchanged`];
}
