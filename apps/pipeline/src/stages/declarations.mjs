// The stages of the pipeline, each declared once. Everything else is derived from these declarations: the order,
// the commands and `--help` texts of `trm`, the manifest key of every stage (the config sections it hashes, the code
// whose hash it records, the upstream manifests it lists), `trm status`, and the Nx targets that tools/nx-plugin
// infers (inputs, dependsOn, outputs). A stage is added or changed here and nowhere else;
// tools/stage-declarations.test.ts checks each declaration against the imports of its code.
// Plain JavaScript (types in declarations.d.mts) so that the Nx plugin loads it without tsx, tfjs or vega.

/** Code every data stage runs: the dataset contract, grid transforms, the stage tables and the Arrow format. */
const DATA_CODE = ['libs/dataset/src', 'libs/augment/src', 'apps/pipeline/src/stages/tables.ts', 'apps/pipeline/src/artifacts/arrow-table.ts'];

/** The model and its tensor backend (train, evaluate); the native addon's build is part of the backend key. */
const ENGINE_CODE = ['libs/trm/src', 'libs/trm-config/src', 'libs/trm-parallel/src', 'libs/tensor-core/src', 'libs/tensor-node/src', 'libs/augment/src', 'apps/pipeline/src/stages/backend.ts', 'apps/pipeline/src/config/workers.ts', 'apps/pipeline/src/stages/encoded-split.ts'];
const ENGINE_PACKAGES = ['@tensorflow/tfjs', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-wasm', 'zod'];

/** How a run treats what an earlier run left (stages/train-runs.ts): train's, and so those of the stages after it. */
const RESUME_OPTIONS = [
  { flags: '--restart', name: 'restart', description: 'train from scratch: discard the checkpoints this config would resume (and evaluate\'s finished batches); checkpoints of other settings are kept' },
  { flags: '--strict', name: 'strict', description: 'refuse to resume a checkpoint made by another implementation (code, backend, matmul kernel, runtime.workers, train.micro_batch_size) instead of continuing it with a note in the train manifest' },
  { flags: '--resume-from <checkpoint>', name: 'resumeFrom', description: 'continue this checkpoint under this config (e.g. a lower lr after a divergence): weights, optimizer moments, EMA, data position and RNG carry over; arch, seed, data, global_batch_size and ema must match. A step-<N> folder, a run folder or id in artifacts/<config>/train.partial, or a finished train folder' },
];

/** @type {readonly import('./declarations.d.mts').StageDeclaration[]} */
export const STAGES = Object.freeze([
  {
    name: 'fetch',
    summary: 'fetch raw puzzles from the dataset source (generator, local files or HTTPS downloads)',
    sections: ['dataset', 'seed', 'fetch'],
    upstream: [],
    reads: [],
    writes: ['fetch.puzzles'],
    dataset: true,
    engine: false,
    code: [...DATA_CODE, 'apps/pipeline/src/stages/fetch.ts', 'apps/pipeline/src/io/source-io.ts', 'apps/pipeline/src/io/download.ts'],
    packages: ['apache-arrow'],
    module: 'apps/pipeline/src/stages/fetch.ts',
    entry: 'runFetch',
    options: [],
    notes: 'the dataset source: a generator, local files under the repo, or HTTPS downloads cached in artifacts/_downloads',
  },
  {
    name: 'augment',
    summary: 'augment each split with the dataset\'s symmetries',
    sections: ['dataset', 'seed', 'augment'],
    upstream: ['fetch'],
    reads: ['fetch.puzzles'],
    writes: ['augment.train', 'augment.test'],
    dataset: true,
    engine: false,
    code: [...DATA_CODE, 'apps/pipeline/src/stages/augment.ts'],
    packages: ['apache-arrow'],
    module: 'apps/pipeline/src/stages/augment.ts',
    entry: 'runAugment',
    options: [],
  },
  {
    name: 'encode',
    summary: 'tokenise the augmented puzzles into fixed-length rows',
    sections: ['dataset', 'encode'],
    upstream: ['fetch', 'augment'],
    reads: ['augment.train', 'augment.test', 'fetch.puzzles'],
    writes: ['encode.train', 'encode.test', 'encode.identifiers', 'encode.aux'],
    dataset: true,
    engine: false,
    code: [...DATA_CODE, 'apps/pipeline/src/stages/encode.ts', 'apps/pipeline/src/stages/encode-rows.ts', 'apps/pipeline/src/stages/augment.ts'],
    packages: ['apache-arrow'],
    module: 'apps/pipeline/src/stages/encode.ts',
    entry: 'runEncode',
    options: [],
  },
  {
    name: 'train',
    summary: 'train the model',
    sections: ['seed', 'arch', 'train', 'runtime'],
    upstream: ['encode'],
    reads: ['encode.train', 'encode.test', 'encode.aux'],
    writes: ['train.model', 'train.state', 'train.state_meta', 'train.metrics', 'train.evals', 'train.checkpoints', 'train.checkpoint_model', 'train.best_model', 'train.reference_run'],
    dataset: false,
    // with train.eval_interval set, train evaluates the test split as the evaluate stage does (interval-eval-run.ts)
    also: { when: 'train.eval_interval', sections: ['evaluate'], dataset: true },
    engine: true,
    code: [...ENGINE_CODE, 'apps/pipeline/src/stages/train.ts', 'apps/pipeline/src/stages/interval-evals.ts', 'apps/pipeline/src/stages/interval-eval-run.ts', 'apps/pipeline/src/stages/train-watch.ts', 'apps/pipeline/src/stages/train-runs.ts', 'libs/dataset/src', 'apps/pipeline/src/stages/flops.ts', 'apps/pipeline/src/artifacts/arrow-table.ts', 'apps/pipeline/src/artifacts/hash.ts', 'apps/pipeline/src/artifacts/stage-writer.ts', 'apps/pipeline/src/reference', 'libs/reference/src'],
    packages: [...ENGINE_PACKAGES, 'apache-arrow', 'fflate'],
    module: 'apps/pipeline/src/stages/train.ts',
    entry: 'runTrain',
    options: RESUME_OPTIONS,
    notes: 'runtime.workers = worker threads (default one per core, 0 = the main thread); verified checkpoints go to artifacts/<config>/train.partial/<run id>/ while it runs, and a rerun resumes by the policy below; with train.eval_interval the test split (evaluate.*, the dataset lib) every that many epochs, a checkpoint with a model file at each evaluation, rows in evals.arrow; tracking.* sends the metrics to a tracker; runtime.engine = reference hands the run to pretrain.py in $TRM_REFERENCE_DIR (torchrun with runtime.nproc_per_node > 1) and imports its last checkpoint (work folder artifacts/<config>/train.reference; no resume)',
  },
  {
    name: 'evaluate',
    summary: 'evaluate the trained model on the test split',
    sections: ['evaluate', 'runtime'],
    upstream: ['encode', 'train'],
    reads: ['encode.test', 'encode.aux', 'train.model', 'train.state_meta'],
    writes: ['evaluate.predictions', 'evaluate.trajectories', 'evaluate.metrics', 'evaluate.task_files', 'evaluate.batches'],
    dataset: true,
    engine: true,
    code: [...ENGINE_CODE, 'libs/dataset/src', 'apps/pipeline/src/stages/evaluate.ts', 'apps/pipeline/src/stages/evaluate-batches.ts', 'apps/pipeline/src/stages/trajectories.ts', 'apps/pipeline/src/artifacts/arrow-table.ts'],
    packages: [...ENGINE_PACKAGES, 'apache-arrow'],
    module: 'apps/pipeline/src/stages/evaluate.ts',
    entry: 'runEvaluate',
    options: [
      ...RESUME_OPTIONS,
      { flags: '--checkpoint <file>', name: 'checkpoint', description: 'evaluate this model file instead (e.g. artifacts/<config>/train.partial/<run id>/step-<N>/model.safetensors while training runs) and print its metrics; writes nothing, takes no lock, runs no other stage' },
      { flags: '--subsample <n>', name: 'subsample', description: 'with --checkpoint: that many test examples (whole puzzles, evenly spaced) instead of all' },
    ],
    notes: 'each test batch is split across runtime.workers threads',
  },
  {
    name: 'report',
    summary: 'write the report (Markdown with SVG charts and rendered puzzles)',
    sections: ['description', 'dataset', 'seed', 'fetch', 'augment', 'encode', 'arch', 'train', 'evaluate', 'report', 'runtime'],
    upstream: ['fetch', 'augment', 'encode', 'train', 'evaluate'],
    reads: ['encode.train', 'encode.test', 'train.model', 'train.metrics', 'train.evals', 'train.state_meta', 'evaluate.predictions', 'evaluate.trajectories', 'evaluate.metrics'],
    writes: ['report.markdown', 'report.images', 'report.history', 'report.partial'],
    dataset: true,
    engine: false,
    code: ['apps/pipeline/src/stages/report.ts', 'apps/pipeline/src/report', 'apps/pipeline/src/stages/interval-evals.ts', 'apps/pipeline/src/artifacts/arrow-table.ts', 'apps/pipeline/src/artifacts/open-stage.ts', 'libs/dataset/src', 'libs/augment/src'],
    packages: ['apache-arrow', 'vega', 'vega-lite'],
    module: 'apps/pipeline/src/stages/report.ts',
    entry: 'runReport',
    options: [{ flags: '--compare <config>', name: 'compare', description: 'add a params diff and a metrics diff against the run of another config' }, ...RESUME_OPTIONS],
    notes: 'the manifests of every stage before it (the report\'s stage table); while the config\'s training runs or after it stopped, the newest checkpoint in train.partial instead, reported to artifacts/<config>/report.partial/ without running any stage',
  },
]);

/**
 * What runs a stage without deciding its output: the command line, config loading, the catalog, manifests.
 * Not in the manifest's code hash (editing `trm status` does not make an artifact stale), but an input of every Nx
 * target: Nx reruns the command when it changes, and the manifest then decides whether the work is redone.
 */
export const RUNNER = Object.freeze({
  code: [
    'apps/pipeline/src/main.ts', 'apps/pipeline/src/workspace.ts', 'apps/pipeline/src/registry.ts',
    'apps/pipeline/src/cli', 'apps/pipeline/src/config', 'libs/trm-config/src', 'apps/pipeline/src/artifacts', 'apps/pipeline/src/catalog',
    'apps/pipeline/src/io/progress.ts', 'apps/pipeline/src/io/train-view.ts', 'apps/pipeline/src/io/rate.ts', 'apps/pipeline/src/tracking', 'apps/pipeline/src/io/source-io.ts',
    'apps/pipeline/src/io/download.ts', 'apps/pipeline/src/io/hub.ts',
    'apps/pipeline/src/run', 'apps/pipeline/src/io/checkpoint-store.ts', 'apps/pipeline/src/io/fs-errors.ts', 'apps/pipeline/src/io/temporaries.ts',
    'apps/pipeline/src/stages/context.ts', 'apps/pipeline/src/stages/index.ts', 'apps/pipeline/src/stages/backend.ts',
    'apps/pipeline/src/stages/declarations.mjs', 'apps/pipeline/src/stages/declarations.d.mts',
    'apps/pipeline/src/stages/inputs.mjs', 'apps/pipeline/src/stages/inputs.d.mts',
  ],
  packages: ['commander', 'tsx', 'apache-arrow', 'zod', 'cli-progress'],
});

/**
 * What picks the tensor backend of the engine stages besides the config and the installed packages: the native addon's
 * sources (its build, compiled for this CPU, is the matmul kernel on wasm) and two environment variables. The
 * manifest records the backend itself (name, version, kernel build); Nx hashes these.
 */
export const BACKEND = Object.freeze({
  code: ['libs/tensor-node/native/*.cc', 'libs/tensor-node/native/*.h', 'libs/tensor-node/native/build.mjs'],
  env: ['TRM_BACKEND', 'TRM_GEMM', 'TRM_REFERENCE_DIR'],
});

/**
 * What a stage uses under a resolved config: its `sections`, plus those of `also` (and the dataset lib) when the config
 * key `also.when` is set to something other than 0, false or empty. The manifest key hashes exactly these.
 */
export function stageUses(stage, config) {
  const on = !!stage.also && !!stage.also.when.split('.').reduce((v, k) => (v && typeof v === 'object' ? v[k] : undefined), config);
  return { sections: on ? [...stage.sections, ...stage.also.sections] : [...stage.sections], dataset: stage.dataset || (on && stage.also.dataset) };
}

/** Every section a stage may use and whether it may run the dataset lib, whatever the config (what Nx hashes). */
export function stageMayUse(stage) {
  return { sections: [...stage.sections, ...(stage.also?.sections ?? [])], dataset: stage.dataset || !!stage.also?.dataset };
}

/** The declaration of a stage, or an error naming the stages. */
export function stageDeclaration(name) {
  const s = STAGES.find((x) => x.name === name);
  if (!s) throw new Error(`unknown stage ${JSON.stringify(name)}; stages: ${STAGES.map((x) => x.name).join(', ')}`);
  return s;
}

/** The stage and every stage before it, in order. */
export function stagesUpTo(name) {
  const i = STAGES.indexOf(stageDeclaration(name));
  return STAGES.slice(0, i + 1);
}
