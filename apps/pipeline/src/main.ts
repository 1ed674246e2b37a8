#!/usr/bin/env node
// `trm`: the command line of the pipeline. Every stage reads configs/<name>.json and writes
// artifacts/<config>/<stage>/; see `trm <command> --help`.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tty from 'node:tty';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { listConfigs, loadConfig } from './config/load.ts';
import { ConfigError, UsageError } from './config/validate.ts';
import { ArtifactError } from './artifacts/manifest.ts';
import { artifactsDir, configsDir, workspaceRoot } from './workspace.ts';
import { STAGE_LIST, chain, stageInfo } from './stages/index.ts';
import { entryLocation } from './catalog/entries.mjs';
import type { StageDeclaration } from './stages/declarations.mjs';
import type { StageContext, StageResult } from './stages/context.ts';
import { inspect } from './cli/inspect.ts';
import { configStatus, formatStatus } from './cli/status.ts';
import { formatSolve, isSolveInputError, solvePuzzle } from './cli/solve.ts';
import { addReferenceCommands } from './cli/reference.ts';
import { configSchemaText, writeConfigSchemas } from './cli/config-schema.ts';
import { startWeb } from './cli/web.ts';
import { reportUnfinished } from './cli/report-partial.ts';
import { CheckpointUsageError, evaluateCheckpoint, formatCheckpointEvaluation } from './cli/evaluate-checkpoint.ts';
import { checkConfig } from './config/check.ts';
import { LockedError } from './run/lock.ts';
import { installSignalHandlers, signalExitCode, StoppedError } from './run/signals.ts';

const collect = (v: string, prev: string[]) => [...prev, v];

const RESUME_HELP = `
Resuming training: a rerun continues the newest verified checkpoint in artifacts/<config>/train.partial/<run id>/
when only harmless keys changed (train.max_steps, train.checkpoint_every, and those of evaluation during training,
early stopping and kept checkpoints), and also when only the implementation changed (code, backend, runtime.workers,
train.micro_batch_size: it says so, and the train manifest records it).
A change of meaning (arch, seed, the rest of train, the data) starts a new run folder and keeps the old one,
listing exactly which keys changed; \`trm status\` shows every checkpoint.`;

export interface StageCommandOptions {
  config: string;
  set: string[];
  only?: boolean;
  force?: boolean;
  compare?: string;
  restart?: boolean;
  strict?: boolean;
  resumeFrom?: string;
  checkpoint?: string;
  subsample?: string;
}

export async function runStageCommand(stage: string, opts: StageCommandOptions): Promise<StageResult[]> {
  const root = workspaceRoot();
  const { config, dataset } = await loadConfig(opts.config, { dir: configsDir(root), root, sets: opts.set });
  checkConfig(config, dataset);
  const resume = { restart: opts.restart, strict: opts.strict, from: opts.resumeFrom };
  const ctx: StageContext = { config, dataset, root, artifacts: artifactsDir(root), force: false, compare: opts.compare, resume };
  if (stage === 'evaluate' && opts.checkpoint) {
    const n = opts.subsample === undefined ? 0 : Number(opts.subsample);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--subsample ${opts.subsample}: expected a whole number of test examples (0 = all)`);
    const res = await evaluateCheckpoint(ctx, opts.checkpoint, { subsample: n });
    process.stdout.write(formatCheckpointEvaluation(res) + '\n');
    return [];
  }
  if (opts.subsample !== undefined) throw new UsageError('--subsample goes with --checkpoint (the evaluate stage uses the whole test split)');
  // a run still training, stopped or killed: its report from the newest checkpoint, without running the stages
  if (stage === 'report' && !opts.only && !opts.force && (await reportUnfinished(ctx))) return [];
  const target = stageInfo(stage);
  const stages = opts.only ? [target] : chain(target.name);
  const results: StageResult[] = [];
  for (const s of stages) results.push(await s.run({ ...ctx, force: !!opts.force && s === target }));
  return results;
}

/** Reads/Writes of a stage's --help, from its declaration and the catalog. */
export function stageHelp(s: StageDeclaration): string {
  // artifacts/<config>/train/{model.safetensors, state.json}: the entries grouped by folder
  const files = (ids: readonly string[]) => {
    const byDir = new Map<string, string[]>();
    for (const loc of ids.map((id) => entryLocation(id))) {
      const [dir, file] = /^(artifacts\/<config>\/[^/]+)\/?(.*)$/.exec(loc)!.slice(1);
      byDir.set(dir, [...(byDir.get(dir) ?? []), ...(file ? [file] : [])]);
    }
    return [...byDir].map(([dir, f]) => (f.length > 1 ? `${dir}/{${f.join(', ')}}` : f.length ? `${dir}/${f[0]}` : dir)).join(', ');
  };
  const reads = [
    ...(s.reads.length ? [files(s.reads)] : []),
    `the config keys ${s.sections.join(', ')}`,
    ...(s.notes ? [s.notes] : []),
  ];
  const check = s.upstream.length ? `\nIt first checks the folders it reads: a missing or stale one (see \`trm status\`) stops it.` : '';
  return `\nReads:  ${reads.join('; ')}\nWrites: ${files(s.writes)}, manifest.json, run.json${check}`;
}

export function buildProgram(): Command {
  const program = new Command('trm')
    .description('TRM.ts pipeline: fetch -> augment -> encode -> train -> evaluate -> report.\nConfigs live in configs/<name>.json, artifacts in artifacts/<config>/<stage>/.')
    .version(packageVersion(), '-V, --version', 'print the version of TRM.ts')
    .addHelpText('after', '\nExit status: 0 done, 1 failed (bad config, data or artifacts; see the message), 2 usage error (bad command line).')
    .showHelpAfterError()
    .exitOverride(); // commander throws instead of exiting; main() maps its errors to exit code 2 (inherited by the commands)

  for (const s of STAGE_LIST) {
    const cmd = program
      .command(s.name)
      .description(`${s.summary}${s.upstream.length ? ' (running the stages before it first, unless --only)' : ''}; skipped when its manifest already matches its inputs`)
      .requiredOption('-c, --config <name>', 'config name (configs/<name>.json) or path to a .json file')
      .option('--set <key=value>', 'override a config key, repeatable (train.lr=3e-4, lr=3e-4, arch.hidden_size=64)', collect, [])
      .option('--only', 'run only this stage; fail if an upstream stage is missing or stale')
      .option('--force', 'rerun this stage even when it is up to date')
      .addHelpText('after', stageHelp(s))
      .action(async (opts) => { await runStageCommand(s.name, opts); });
    for (const o of s.options) cmd.option(o.flags, o.description);
    if (s.options.some((o) => o.name === 'resumeFrom')) cmd.addHelpText('after', RESUME_HELP);
  }

  program
    .command('configs')
    .description('list the configs in configs/ with their descriptions')
    .addHelpText('after', '\nReads:  configs/*.json\nWrites: nothing')
    .action(() => {
      const list = listConfigs(configsDir());
      const w = Math.max(...list.map((c) => c.name.length), 4);
      for (const c of list) console.log(`${c.name.padEnd(w)}  ${c.description}`);
    });

  program
    .command('status')
    .description('show, for every stage of a config, whether its output is up to date, stale (which keys changed) or missing or damaged; the train checkpoints and whether this config resumes them; evaluate\'s finished batches; temporaries left by killed runs; the run holding the lock. Exit code 1 when anything is damaged')
    .requiredOption('-c, --config <name>', 'config name or path')
    .option('--set <key=value>', 'override a config key, repeatable', collect, [])
    .addHelpText('after', '\nReads:  the config, artifacts/<config>/*/manifest.json and the files they list, the checkpoints in train.partial and evaluate.partial, run.lock, the code of each stage\nWrites: nothing')
    .action(async (opts: { config: string; set: string[] }) => {
      const root = workspaceRoot();
      const { config, dataset } = await loadConfig(opts.config, { dir: configsDir(root), root, sets: opts.set });
      const ctx: StageContext = { config, dataset, root, artifacts: artifactsDir(root) };
      const status = await configStatus(ctx);
      console.log(formatStatus(config.name, ctx.artifacts, status));
      if (status.damaged) commandExitCode = 1;
    });

  program
    .command('show-config')
    .description('print a config resolved: extends followed, --set applied, defaults filled, validated')
    .argument('<name>', 'config name or path')
    .option('--set <key=value>', 'override a config key, repeatable', collect, [])
    .addHelpText('after', '\nReads:  configs/<name>.json and the files it extends\nWrites: nothing (JSON on stdout)')
    .action(async (name: string, opts: { set: string[] }) => {
      const root = workspaceRoot();
      const { config } = await loadConfig(name, { dir: configsDir(root), root, sets: opts.set });
      console.log(JSON.stringify(config, null, 2));
    });

  program
    .command('config-schema')
    .description('print the JSON Schema of config files for a dataset (what editors check configs/*.json against)')
    .argument('[dataset]', 'sudoku | maze | arc | a package name or path of a module exporting a DatasetLib', 'sudoku')
    .option('--write', 'write configs/schema/<dataset>.schema.json for every built-in dataset (the files configs/*.json name in "$schema")')
    .addHelpText('after', '\nReads:  the dataset lib\'s schema and the pipeline\'s and engine\'s config sections\nWrites: JSON on stdout, or with --write configs/schema/*.schema.json')
    .action(async (dataset: string, opts: { write?: boolean }) => {
      const root = workspaceRoot();
      if (opts.write) for (const f of await writeConfigSchemas(configsDir(root), root)) console.log(`wrote ${path.relative(root, f)}`);
      else process.stdout.write(await configSchemaText(dataset, root));
    });

  program
    .command('inspect')
    .description('show manifest, schema, metadata, row counts and a few decoded rows of an artifact')
    .argument('<path>', 'a stage folder (artifacts/<config>/<stage>) or one .arrow/.json file')
    .option('-n, --rows <n>', 'rows to show per table', (v) => Number(v), 3)
    .addHelpText('after', '\nReads:  the given artifact (and the dataset lib named in its manifest, to render grids)\nWrites: nothing')
    .action(async (p: string, opts: { rows: number }) => { await inspect(p, { rows: opts.rows, root: workspaceRoot() }); });

  program
    .command('solve')
    .description("solve one puzzle with a trained model: the answer, whether it keeps the task's rules, and with --trace every supervision step")
    .argument('[puzzle]', 'the puzzle as text (a Sudoku line with . or 0 for blanks; a maze row by row; an ARC task JSON), or - to read it from stdin')
    .requiredOption('-c, --config <name>', 'config name or path: its dataset parses the puzzle, its train stage made the model')
    .option('--set <key=value>', 'override a config key, repeatable', collect, [])
    .option('--checkpoint <file>', 'a safetensors model file with the arch in its metadata (default: artifacts/<config>/train/model.safetensors)')
    .option('--file <file>', 'read the puzzle from a file (- = stdin); an ARC task file is named by its task id')
    .option('--trace', 'print every supervision step with the cells that changed and the halting confidence sigmoid(q_halt)')
    .option('--json', 'print one JSON object: steps[] (step, prediction, tokens, q_halt), halted_at, answer, valid, reason, tests[]')
    .option('--all-steps', 'run halt_max_steps supervision steps, as the evaluate stage, instead of stopping where the model halts')
    .addHelpText('after', `
The model halts at the first step whose q_halt is positive (sigmoid > 0.5), or at halt_max_steps; the answer is
its prediction there. ARC runs every augmented copy of the task the model was trained on for halt_max_steps steps
and gives two attempts after the copies vote, as the evaluate stage does. Bad input (a puzzle of the wrong length
or characters, a board size the model was not trained for, a missing or unfit model file) is one line on stderr and
exit status 2. Backend: runtime.backend of the config, or TRM_BACKEND.

Examples:
  npm run trm -- solve --config sudoku-quick --trace "1.3.5.4.6.3.......2..1...6..4.1.5...."
  echo "<puzzle>" | npm run trm -- solve --config sudoku-quick --json -
  npm run trm -- solve --config arc-tiny --file ../shared/data/arc/arc-agi-1-per-task-samples/evaluation/66e6c45b.json

Reads:  the config, the model file (${entryLocation('train.model')} or --checkpoint), ${entryLocation('encode.identifiers')} and aux.json when present
Writes: nothing`)
    .action(async (puzzle: string | undefined, opts: { config: string; set: string[]; checkpoint?: string; file?: string; trace?: boolean; json?: boolean; allSteps?: boolean }) => {
      const root = workspaceRoot();
      const { config, dataset } = await loadConfig(opts.config, { dir: configsDir(root), root, sets: opts.set });
      const readStdin = async () => { let s = ''; for await (const chunk of process.stdin) s += chunk; return s; };
      const solved = await solvePuzzle(config, dataset.lib, puzzle, opts, { root, artifacts: artifactsDir(root), readStdin, write: (t) => process.stdout.write(t) });
      process.stdout.write(opts.json ? JSON.stringify(solved.report) + '\n' : formatSolve(dataset.lib, solved, !!opts.trace));
    });

  program
    .command('web')
    .description('serve the browser app on 127.0.0.1: solve puzzles step by step with the config\'s model, all computed in the page (TensorFlow.js: WebGPU, WebGL or WebAssembly)')
    .requiredOption('-c, --config <name>', 'config name or path: its model, dataset and test puzzles')
    .option('--set <key=value>', 'override a config key, repeatable', collect, [])
    .option('-p, --port <port>', 'port on 127.0.0.1 (0 = a free one)', (v) => {
      if (!/^\d+$/.test(v) || Number(v) > 65535) throw new UsageError(`--port ${v}: expected a port number 0-65535 (0 = a free one)`);
      return Number(v);
    }, 5173)
    .option('--checkpoint <file>', 'serve this safetensors model file instead of the train stage\'s')
    .addHelpText('after', `
The app is built with Vite once per code version (node_modules/.cache/trm-web/) and served with the config's model.
The page takes a typed puzzle, a test puzzle of the config, or ?puzzle=TEXT (a link that solves it); ?backend=
webgpu|webgl|wasm picks the backend (default: the first of these that starts), ?steps=all runs every supervision
step. It can open another model.safetensors (file picker or drag and drop).

Reads:  the config, ${entryLocation('train.model')} (or --checkpoint), ${entryLocation('encode.identifiers')}, aux.json, ${entryLocation('fetch.puzzles')}
Writes: node_modules/.cache/trm-web/<hash>/ (the built app)`)
    .action(async (opts: { config: string; set: string[]; port: number; checkpoint?: string }) => {
      const root = workspaceRoot();
      const { config, dataset } = await loadConfig(opts.config, { dir: configsDir(root), root, sets: opts.set });
      const { server } = await startWeb(config, dataset.lib, opts, { root, artifacts: artifactsDir(root), log: (line) => process.stderr.write(`${line}\n`) });
      await new Promise<void>((resolve) => {
        const stop = () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); server.close(() => resolve()); server.closeAllConnections(); };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
  addReferenceCommands(program, runStageCommand);

  return program;
}

/** The version of the repository's package.json. */
export function packageVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(workspaceRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** set by a command that succeeded but has something to report in its exit code (`status` of damaged artifacts) */
let commandExitCode = 0;

/**
 * Exit status: 0 done, 1 failed (or `status` found something damaged), 2 usage error (commander's parse errors, a bad
 * --set, an unknown config), 128 + the signal's number when a signal stopped training or evaluation at a checkpoint.
 */
export async function main(argv: string[]): Promise<number> {
  commandExitCode = 0;
  try {
    await buildProgram().parseAsync(argv);
    return commandExitCode;
  } catch (e) {
    // commander has printed its own message (and the help); --help and --version end here with exit code 0
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    const err = e as Error;
    if (err instanceof UsageError || err instanceof CheckpointUsageError || isSolveInputError(err)) {
      process.stderr.write(`trm: ${err.message}\n`);
      return 2;
    }
    if (err instanceof StoppedError) {
      process.stderr.write(`trm: ${err.message}\n`);
      echoToTerminalUnderNx(`trm: ${err.message}\n`);
      return signalExitCode(err.signal);
    }
    if (err instanceof ConfigError || err instanceof ArtifactError || err instanceof LockedError || !process.env.TRM_DEBUG) process.stderr.write(`trm: ${err.message}\n`);
    else process.stderr.write(`trm: ${err.stack}\n`);
    return 1;
  }
}

/**
 * Under Nx, a task's stderr is a pipe to Nx, and on Ctrl-C Nx silences its own output before it stops the task, so
 * the "stopped ... rerun to resume" line would never be seen. The task's stdin is the user's terminal: say it there.
 */
function echoToTerminalUnderNx(line: string): void {
  if (!process.env.NX_TASK_TARGET_TARGET || process.stderr.isTTY || !tty.isatty(0)) return;
  try {
    fs.writeSync(0, line.replace(/\n/g, '\r\n'));
  } catch {
    // a terminal opened read-only: nothing more to do
  }
}

/**
 * The CLI as a process: signal handlers (a stop request for training and evaluation, an immediate exit elsewhere),
 * then the command; sets the exit code. `bin/trm.js` and `npm run trm` come here.
 */
export async function runCli(argv: string[]): Promise<void> {
  // `trm inspect ... | head` closes stdout early: not an error
  process.stdout.on('error', (e: NodeJS.ErrnoException) => { if (e.code === 'EPIPE') process.exit(0); else throw e; });
  installSignalHandlers({ watchParent: !!process.env.npm_lifecycle_event });
  process.exitCode = await main(argv);
}

const isMain = !!process.argv[1] && fs.existsSync(process.argv[1]) && import.meta.url === pathToFileURL(fs.realpathSync(process.argv[1])).href;
if (isMain) await runCli(process.argv);
