// The commands that move data and weights between this pipeline and the reference implementation
// (SamsungSAILMontreal/TinyRecursiveModels): export, import-checkpoint, convert-checkpoint.
import * as path from 'node:path';
import type { Command } from 'commander';
import { loadConfig, type ResolvedConfig } from '../config/load.ts';
import { UsageError } from '../config/validate.ts';
import { artifactsDir, configsDir, workspaceRoot } from '../workspace.ts';
import { upstream, type StageContext } from '../stages/context.ts';
import { commandLine, referenceCommand } from '../reference/command.ts';
import { exportReferenceDataset } from '../reference/export-data.ts';
import { log } from '../io/progress.ts';

type RunStages = (stage: string, opts: { config: string; set: string[] }) => Promise<unknown>;

const collect = (v: string, prev: string[]) => [...prev, v];
const positiveInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} ${v}: expected an integer >= 1`);
  return n;
};

export const EXPORT_FORMATS = ['reference', 'reference-checkpoint'] as const;

interface ExportOptions {
  config: string;
  set: string[];
  format: string;
  out: string;
  printCommand?: boolean;
  nproc?: number;
  evalInterval?: number;
  checkpointPath?: string;
  loadCheckpoint?: string;
}

async function context(name: string, sets: string[]): Promise<StageContext> {
  const root = workspaceRoot();
  const { config, dataset } = await loadConfig(name, { dir: configsDir(root), root, sets });
  return { config, dataset, root, artifacts: artifactsDir(root) };
}

/** The reference commands for `config` with its data in `dataDir`, as printed by `trm export`. */
export function printReferenceCommand(config: ResolvedConfig, opts: { dataDir: string; nproc: number; evalInterval?: number; checkpointPath?: string; loadCheckpoint?: string; arc: boolean }): void {
  const checkpointPath = opts.checkpointPath ?? `checkpoints/${config.name}`;
  const cmd = referenceCommand(config, { dataDir: opts.dataDir, nproc: opts.nproc, evalInterval: opts.evalInterval, checkpointPath, loadCheckpoint: opts.loadCheckpoint, arcEvaluator: opts.arc });
  const out = [
    '# Train with the reference implementation, from its checkout (github.com/SamsungSAILMontreal/TinyRecursiveModels):',
    commandLine(cmd.python),
    `# or on ${opts.nproc} GPUs:`,
    commandLine(cmd.torchrun),
    '# then bring its last checkpoint back here (evaluate, report and solve run on it):',
    `npm run trm -- import-checkpoint --config ${config.name} ${path.posix.join(checkpointPath, 'step_<last>')}`,
    '# Notes:',
    ...cmd.notes.map((n) => `#   ${n}`),
    '# Settings of this config without a reference counterpart:',
    ...cmd.unmapped.map((u) => `#   ${u}`),
  ];
  console.log(out.join('\n'));
}

/** GPUs of the printed torchrun line: --nproc, else the config's runtime.nproc_per_node when above 1, else 4. */
export function printedNproc(config: ResolvedConfig, nproc: number | undefined): number {
  const configured = config.runtime.nproc_per_node as number;
  return nproc ?? (configured > 1 ? configured : 4);
}

async function runExport(opts: ExportOptions, runStages: RunStages): Promise<void> {
  if (!(EXPORT_FORMATS as readonly string[]).includes(opts.format)) throw new UsageError(`--format ${opts.format}: expected one of ${EXPORT_FORMATS.join(', ')}`);
  const ctx = await context(opts.config, opts.set);
  const nproc = printedNproc(ctx.config, opts.nproc);
  const out = path.resolve(opts.out);
  if (opts.format === 'reference-checkpoint') {
    const { exportReferenceCheckpoint } = await import('../reference/checkpoints.ts');
    await exportReferenceCheckpoint(ctx, out);
    return;
  }
  if (opts.printCommand) {
    printReferenceCommand(ctx.config, { dataDir: out, nproc, evalInterval: opts.evalInterval, checkpointPath: opts.checkpointPath, loadCheckpoint: opts.loadCheckpoint, arc: ctx.dataset.lib.auxArtifacts !== undefined });
    return;
  }
  await runStages('encode', { config: opts.config, set: opts.set });
  const enc = await upstream(ctx, 'encode');
  const { splits, testPuzzles } = await exportReferenceDataset(enc, out);
  log(`export: wrote ${out} (${Object.entries(splits).map(([s, c]) => `${s}: ${c.examples} examples, ${c.puzzles} puzzles, ${c.groups} groups`).join('; ')})`);
  printReferenceCommand(ctx.config, { dataDir: out, nproc, evalInterval: opts.evalInterval, checkpointPath: opts.checkpointPath, loadCheckpoint: opts.loadCheckpoint, arc: testPuzzles });
}

export function addReferenceCommands(program: Command, runStages: RunStages): void {
  program
    .command('export')
    .description('write a config\'s data or trained model in the reference implementation\'s formats, and print its training command')
    .requiredOption('-c, --config <name>', 'config name or path')
    .requiredOption('--format <format>', `reference: the encoded data as the reference builders write it (a folder for pretrain.py data_paths); reference-checkpoint: the trained model as a PyTorch zip file with _orig_mod. keys (pretrain.py load_checkpoint=FILE)`)
    .requiredOption('--out <path>', 'the folder (reference) or file (reference-checkpoint) to write; it must not exist yet (an empty folder is fine)')
    .option('--set <key=value>', 'override a config key, repeatable', collect, [])
    .option('--print-command', 'reference: only print the pretrain.py / torchrun commands for data in --out (write nothing)')
    .option('--nproc <n>', 'GPUs of the printed torchrun command (--nproc-per-node; default: runtime.nproc_per_node when above 1, else 4)', positiveInt('--nproc'))
    .option('--eval-interval <epochs>', 'epochs between the reference\'s evaluations and checkpoints (must divide train.epochs; default: train.epochs, one at the end)', positiveInt('--eval-interval'))
    .option('--checkpoint-path <dir>', 'where the printed command makes pretrain.py write its checkpoints (default: checkpoints/<config>, in the reference checkout)')
    .option('--load-checkpoint <file>', 'the printed command starts from this checkpoint (+load_checkpoint=, e.g. a file written by --format reference-checkpoint)')
    .addHelpText('after', [
      '',
      'Reads:  --format reference: artifacts/<config>/encode (fetch, augment and encode run first if needed); reference-checkpoint: artifacts/<config>/train/model.safetensors (run train first)',
      'Writes: --format reference: <out>/identifiers.json, <out>/{train,test}/all__{inputs,labels,puzzle_identifiers,puzzle_indices,group_indices}.npy and dataset.json (ARC: also test_puzzles.json), then prints the command; reference-checkpoint: <out>, a zip that torch.load reads (an OrderedDict of float32 tensors)',
    ].join('\n'))
    .action(async (opts: ExportOptions) => { await runExport(opts, runStages); });

  program
    .command('import-checkpoint')
    .description('make a reference checkpoint the config\'s trained model: evaluate, report and solve then run on it')
    .requiredOption('-c, --config <name>', 'the config whose train artifact it becomes (its arch must match the tensors\' shapes)')
    .argument('<file>', 'pretrain.py\'s step_N (torch.compile\'d: _orig_mod. keys), a torch.save\'d state dict (.pt, PyTorch 1.6+ zip format, float32/bfloat16/float16) or a .safetensors file')
    .option('--set <key=value>', 'override a config key, repeatable', collect, [])
    .addHelpText('after', [
      '',
      'The file is read without Python: its pickle may only rebuild tensors (collections.OrderedDict,',
      'torch._utils._rebuild_tensor_v2, torch.*Storage); anything else (os.system, eval, ...) is refused, not run.',
      'A puzzle-embedding table with another number of rows than this config\'s puzzle identifiers is reset to the mean',
      'of its rows, with a warning (as the reference\'s load_checkpoint does).',
      '',
      'Reads:  FILE; artifacts/<config>/encode (fetch, augment and encode run first if needed)',
      'Writes: artifacts/<config>/train/model.safetensors, state.json, metrics.arrow (no rows) + manifest.json, whose',
      '        "lineage" names FILE and its sha256; `trm train` then counts it as up to date until the config changes',
    ].join('\n'))
    .action(async (file: string, opts: { config: string; set: string[] }) => {
      await runStages('encode', { config: opts.config, set: opts.set });
      const ctx = await context(opts.config, opts.set);
      const { importCheckpoint } = await import('../reference/checkpoints.ts');
      await importCheckpoint(ctx, file);
    });

  program
    .command('convert-checkpoint')
    .description('write any reference checkpoint as float32 safetensors under the reference names (for the web app and solve)')
    .argument('<in>', 'step_N, a .pt state dict or a .safetensors file (any float type)')
    .argument('<out>', 'the .safetensors file to write (must not exist)')
    .addHelpText('after', '\nReads:  IN (without running its pickle: see import-checkpoint --help)\nWrites: OUT: every tensor of IN as float32, named without the _orig_mod. prefix, with IN\'s safetensors metadata if it has any')
    .action(async (input: string, output: string) => {
      const { convertCheckpoint } = await import('../reference/checkpoints.ts');
      const r = convertCheckpoint(input, output);
      log(`convert-checkpoint: wrote ${output} (${r.tensors} float32 tensors${Object.keys(r.metadata).length ? `, metadata ${Object.keys(r.metadata).join(', ')}` : ''})`);
    });
}
