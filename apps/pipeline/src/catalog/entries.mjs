// The data catalog, in the Kedro sense: every file a stage writes is named here once, with its format.
// Stages refer to files by these ids (`declarations.mjs` lists what each stage reads and writes); only the
// catalog (catalog/index.ts) turns an id into a path, and the format's reader and writer (catalog/formats.ts)
// read and write it. Plain JavaScript (types in entries.d.mts) so that the Nx plugin and the `--help` texts can
// use it without loading a tensor library.

import * as path from 'node:path';

/** @type {Readonly<Record<string, import('./entries.d.mts').CatalogEntry>>} */
export const CATALOG = Object.freeze({
  'fetch.puzzles': { stage: 'fetch', path: 'puzzles.arrow', format: 'arrow', description: 'raw puzzles, one row per example (split, puzzle_id, role, grids)' },
  'augment.train': { stage: 'augment', path: 'train.arrow', format: 'arrow', description: 'augmented train split, one row per example of each copy' },
  'augment.test': { stage: 'augment', path: 'test.arrow', format: 'arrow', description: 'augmented test split' },
  'encode.train': { stage: 'encode', path: 'train.arrow', format: 'arrow', description: 'token rows of the train split (inputs, labels, identifiers; trm.dataset metadata)' },
  'encode.test': { stage: 'encode', path: 'test.arrow', format: 'arrow', description: 'token rows of the test split' },
  'encode.identifiers': { stage: 'encode', path: 'identifiers.json', format: 'json', indent: 1, description: 'puzzle identifier names (index = identifier, 0 = blank)' },
  'encode.aux': { stage: 'encode', path: 'aux.json', format: 'json', optional: true, description: 'what the dataset needs to score predictions (ARC: augmentations to undo)' },
  'train.model': { stage: 'train', path: 'model.safetensors', format: 'safetensors', description: 'weights with the reference names (EMA weights when train.ema)' },
  'train.state': { stage: 'train', path: 'state.safetensors', format: 'safetensors', description: 'optimizer moments, raw weights, RNG and loader position (to continue training)' },
  'train.state_meta': { stage: 'train', path: 'state.json', format: 'json', indent: 2, description: 'trainer state meta plus the resolved arch and train sections' },
  'train.metrics': { stage: 'train', path: 'metrics.arrow', format: 'arrow', description: 'one row of losses and accuracies per training step' },
  'train.evals': { stage: 'train', path: 'evals.arrow', format: 'arrow', optional: true, description: 'one row per evaluation during training (train.eval_interval): step, epoch, examples, the evaluate stage\'s metrics, exact and token accuracy after each supervision step, the dataset\'s task metrics' },
  'train.checkpoint_model': { stage: 'train', folder: 'train.partial', path: '<run id>/step-<N>/model.safetensors', format: 'safetensors', description: 'the model of a checkpoint (written at each evaluation during training and every train.checkpoint_every steps; the newest train.keep_checkpoints kept), readable while training runs: trm solve/evaluate --checkpoint' },
  'train.best_model': { stage: 'train', folder: 'train.partial', path: '<run id>/best/model.safetensors', format: 'safetensors', description: 'the model of the best evaluation during training so far (train.early_stop_metric), with best.json beside it' },
  'train.checkpoints': { stage: 'train', folder: 'train.partial', path: '', format: 'checkpoints', description: 'verified checkpoints while training runs: <run id>/step-<N>/ per run of distinct settings (io/checkpoint-store.ts); the finished run\'s folder is removed' },
  'train.reference_run': { stage: 'train', folder: 'train.reference', path: '', format: 'files', description: 'runtime.engine reference: the run handed to pretrain.py (its step_N checkpoints, pretrain.log; the exported data while it runs)' },
  'evaluate.predictions': { stage: 'evaluate', path: 'predictions.arrow', format: 'arrow', description: 'one row per test example: inputs, labels, prediction, q_halt, steps, correct' },
  'evaluate.trajectories': { stage: 'evaluate', path: 'trajectories.arrow', format: 'arrow', description: 'predictions after every supervision step of the first examples' },
  'evaluate.metrics': { stage: 'evaluate', path: 'metrics.json', format: 'json', indent: 2, description: 'exact and token accuracy, per-step accuracies, task metrics' },
  'evaluate.task_files': { stage: 'evaluate', path: '*', format: 'files', indent: 1, description: 'files the dataset lib returns (ARC: submission.json)' },
  'evaluate.batches': { stage: 'evaluate', folder: 'evaluate.partial', path: '', format: 'checkpoints', description: 'finished test batches of an evaluation that was stopped, resumed by the next run of the same inputs (removed when it finishes)' },
  'report.markdown': { stage: 'report', path: 'report.md', format: 'text', description: 'the report' },
  'report.images': { stage: 'report', path: 'img/*.svg', format: 'files', description: 'charts and rendered puzzles of the report' },
  'report.partial': { stage: 'report', folder: 'report.partial', path: 'report.md', format: 'text', optional: true, description: 'the report of a run that is still training or was stopped (its newest checkpoint; img/ beside it), written by trm report instead of running the stages' },
  'report.history': { stage: 'report', path: 'history.json', format: 'json', indent: 1, description: 'config and metrics of every run reported so far' },
});

/** The entry, or an error naming the known ids. */
export function catalogEntry(id) {
  const e = CATALOG[id];
  if (!e) throw new Error(`no catalog entry ${JSON.stringify(id)}; known: ${Object.keys(CATALOG).join(', ')}`);
  return e;
}

/** `artifacts/<config>/fetch/puzzles.arrow`: where an entry lives, as the help texts show it. */
export function entryLocation(id) {
  const e = catalogEntry(id);
  const file = e.path === '*' ? '<files of the dataset lib>' : e.path;
  return `artifacts/<config>/${e.folder ?? e.stage}${file ? `/${file}` : ''}`;
}

/** `encode/train.arrow`: an entry's file inside a config's artifacts, as messages name it. */
export function entryName(id) {
  const e = catalogEntry(id);
  return `${e.folder ?? e.stage}${e.path ? `/${e.path}` : ''}`;
}

/** The folder an entry lives in for a config (the stage folder, or a folder of its own such as train.partial). */
export function entryFolder(artifacts, config, id) {
  const e = catalogEntry(id);
  return path.join(artifacts, config, e.folder ?? e.stage);
}
