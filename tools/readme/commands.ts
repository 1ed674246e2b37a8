// Every command the README shows, and how the README test (readme.test.ts) runs it. A command found in the
// README (a line of a ```sh block, or an inline `code` span starting with npx, npm or node) is run as written unless
// a rule below says otherwise; the test fails on a README command that neither runs nor has a rule, and on a rule
// whose command is no longer in the README. Stage commands run in both forms: `npx trm <stage> ...` and
// `npx nx run pipeline:<stage> ...` (the test derives the other form).
//
// Adding a command to the README: if it runs in seconds with the repository as it is, do nothing. Otherwise add a
// rule: `run` (what to run instead: the same command on smaller settings), `skip` (with the reason it cannot run in
// CI), or `nxPending` (its Nx form does not work yet: the reason, printed when the test skips that form). Commands
// run in a temporary copy of the workspace, so a command may write into it (`nx g`, artifacts/).

export interface Rule {
  /** the command as the README writes it (whitespace normalised) */
  command: string;
  /** run this instead (same command on smaller settings: say why in `why`) */
  run?: string;
  /** not run: why (a benchmark, a network download, the test run itself) */
  skip?: string;
  /** the Nx form is not run yet: why (printed) */
  nxPending?: string;
  why?: string;
}

const QUICK_SMALL = '--set fetch.train_size=200 --set fetch.test_size=20 --set train.max_steps=6 --set evaluate.batch_size=20 --set runtime.workers=0';

export const RULES: Rule[] = [
  { command: 'npx trm evaluate --config sudoku-tiny --checkpoint artifacts/sudoku-tiny/train.partial/<run id>/step-<N>/model.safetensors', skip: 'a placeholder path: the checkpoint of a run in progress (tested in apps/pipeline/src/stages/train-evals.test.ts)' },
  { command: 'npx trm solve --config sudoku-tiny --checkpoint artifacts/sudoku-tiny/train.partial/<run id>/step-<N>/model.safetensors "1.3..4.2..2.3.1."', skip: 'a placeholder path: the checkpoint of a run in progress (solve --checkpoint is tested in apps/pipeline/src/cli/solve.test.ts)' },
  { command: 'npm ci', skip: 'CI runs it before the tests (.ci/run)' },
  { command: 'npx trm report --config sudoku-quick', run: `npx trm report --config sudoku-quick ${QUICK_SMALL}`, why: 'the full run takes minutes; its figures are reproduced by the command beside them' },
  { command: 'npx nx run pipeline:report --config sudoku-quick', run: `npx nx run pipeline:report --config sudoku-quick ${QUICK_SMALL}`, why: 'as above' },
  {
    command: 'rm -rf artifacts/sudoku-quick && /usr/bin/time -v npx nx run pipeline:report --config sudoku-quick --skip-nx-cache',
    run: `rm -rf artifacts/sudoku-quick && /usr/bin/time -v npx nx run pipeline:report --config sudoku-quick --skip-nx-cache ${QUICK_SMALL}`,
    why: 'the measurement itself takes minutes; the command shape is checked on small settings',
  },
  {
    command: 'npx nx run pipeline:report --config sudoku-quick --compare sudoku-tiny',
    run: `npx nx run pipeline:report --config sudoku-quick ${QUICK_SMALL} --compare sudoku-tiny`,
    why: 'the sudoku-quick run of the test is the small one above',
  },
  {
    command: 'npm run trm -- export --config sudoku-extreme-paper --format reference --out /data/sudoku-extreme-paper',
    run: 'npm run trm -- export --config sudoku-tiny --format reference --out exported/sudoku-tiny',
    why: 'sudoku-extreme-paper needs the Sudoku-Extreme download (no network in CI): the same export of a local config',
  },
  {
    command: 'npm run trm -- import-checkpoint --config sudoku-extreme-paper /path/to/checkpoints/sudoku-extreme-paper/step_65100',
    // train first: the README's CSV example before this one trains sudoku-tiny on 9x9 puzzles into the same folder
    run: 'npm run trm -- train --config sudoku-tiny && npm run trm -- export --config sudoku-tiny --format reference-checkpoint --out exported/model.pt && npm run trm -- import-checkpoint --config sudoku-tiny exported/model.pt',
    why: 'no reference training ran here: a checkpoint of sudoku-tiny in the reference format goes through the same import',
  },
  { command: 'git clone https://github.com/SamsungSAILMontreal/TinyRecursiveModels /opt/trm-reference', skip: 'a network download (and the reference runs only on CUDA GPUs)' },
  { command: 'pip install -r /opt/trm-reference/requirements.txt', skip: 'installs PyTorch and the reference\'s requirements from PyPI: no network in CI' },
  {
    command: 'TRM_REFERENCE_DIR=/opt/trm-reference npx nx run pipeline:report --config sudoku-extreme-paper --set runtime.engine=reference --set runtime.nproc_per_node=4',
    skip: 'needs the reference checkout, CUDA GPUs and the Sudoku-Extreme download; the train stage\'s hand-over to the reference is tested against stand-ins for pretrain.py and torchrun (apps/pipeline/src/reference/train-reference.test.ts)',
  },
  { command: 'npx nx run pipeline:report --config sudoku-extreme-paper', skip: 'needs the Sudoku-Extreme download (no network in CI); the same target runs on sudoku-tiny and sudoku-quick above' },
  { command: 'npm install --no-save @tensorflow/tfjs-node', skip: 'downloads libtensorflow: no network in CI' },
  { command: 'npm install-scripts approve @tensorflow/tfjs-node', skip: 'needs the package installed above' },
  { command: 'npm rebuild @tensorflow/tfjs-node', skip: 'needs the package installed above' },
  { command: 'npm test', skip: 'the test run itself' },
  { command: 'npx vitest run --project pipeline', skip: 'part of the test run itself' },
  { command: 'npm run bench', skip: 'every benchmark: speed is measured by `npm run bench`, never in tests' },
  { command: 'npm run bench -- --suite train', skip: 'a benchmark: speed is measured by `npm run bench`, never in tests' },
  { command: 'node --import tsx bench/gemm/gemm.ts 5', skip: 'a benchmark' },
  {
    command: 'npm run trm -- train --config sudoku-quick --set runtime.precision=bf16',
    run: 'npm run trm -- train --config sudoku-tiny --set runtime.precision=bf16 --set runtime.backend=wasm',
    why: 'the full sudoku-quick run takes minutes: the same bf16 training of the tiny config (on wasm: bf16 needs the native addon there)',
  },
  { command: 'node --import tsx bench/learning-bf16.ts --config sudoku-quick --seeds 0,1,2', skip: 'the learning check: six sudoku-quick runs (minutes each), run by hand' },
  { command: 'node --import tsx bench/ab-step.ts a b d --switch gemm', skip: 'a benchmark' },
  { command: 'npm run bench -- --suite soak', skip: 'a benchmark' },
  { command: 'npm run bench -- --suite data-export', skip: 'a benchmark (the reference-format export: speed and peak RSS)' },
  {
    command: 'npx trm solve --config sudoku-quick --trace ".25.3131...45..4.2.....3634.....23.."',
    run: `npx trm train --config sudoku-quick ${QUICK_SMALL} && npx trm solve --config sudoku-quick --trace ".25.3131...45..4.2.....3634.....23.."`,
    why: 'the README shows the full sudoku-quick model; a small one trained here runs the same command (its answer may differ)',
  },
  { command: 'npx trm web --config sudoku-quick', skip: 'a server that runs until it is stopped: the web app test (apps/web/e2e) starts it and drives it in Chromium' },
  { command: 'npx vitest run --project web', skip: 'part of the test run itself' },
  { command: 'npm run bench -- --suite solve', skip: 'a benchmark' },
  { command: `npm run bench -- --suite solve --exact --set 'models=["sudoku-quick"]' --set browser=false`, skip: 'a benchmark' },
  { command: `npm run bench -- --suite solve --exact --set 'models=["paper"]' --set puzzles=1 --set warmup=1 --set 'kernels=[]' --set 'browser_backends=["wasm","webgl"]'`, skip: 'a benchmark (minutes in Chromium)' },
];

/** Prefixes of inline `code` spans that are commands (spans that are only a prefix, or hold a placeholder, are not). */
export const COMMAND_PREFIXES = ['npx ', 'npm ', 'node ', 'rm '];
