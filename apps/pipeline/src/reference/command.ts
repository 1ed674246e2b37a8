// The reference's training command for a config: `python pretrain.py` / `torchrun ... pretrain.py` with the hydra
// overrides that reproduce the config's arch and train sections, and the keys that have no counterpart there.
import type { ResolvedConfig } from '../config/load.ts';

export interface ReferenceCommandOptions {
  /** the exported dataset folder (`data_paths`) */
  dataDir: string;
  /** where pretrain.py writes its step_N checkpoints (`+checkpoint_path`) */
  checkpointPath: string;
  /** GPUs for torchrun (`--nproc-per-node`) */
  nproc: number;
  /** epochs between evaluations and checkpoints (`eval_interval`); must divide `epochs`; default: `epochs` (one, at the end) */
  evalInterval?: number;
  /** start from this checkpoint (`+load_checkpoint`) */
  loadCheckpoint?: string;
  /** the exported data has ARC's test_puzzles.json, so the ARC evaluator can run */
  arcEvaluator?: boolean;
}

export interface ReferenceCommand {
  /** hydra overrides, one argument each */
  overrides: string[];
  python: string[];
  torchrun: string[];
  /** `key=value (why)` for every config key the reference has no setting for */
  unmapped: string[];
  /** other things to know (batch split across GPUs, precision) */
  notes: string[];
}

/** arch keys with the same name in config/arch/trm.yaml; rope_theta and rms_norm_eps exist only in the model's pydantic config (so `+arch.`). */
const ARCH_KEYS = ['hidden_size', 'num_heads', 'expansion', 'H_cycles', 'L_cycles', 'L_layers', 'mlp_t', 'pos_encodings', 'puzzle_emb_ndim', 'puzzle_emb_len', 'halt_max_steps', 'halt_exploration_prob', 'no_ACT_continue'];
const ARCH_PLUS_KEYS = ['rope_theta', 'rms_norm_eps'];
/** top-level keys of config/cfg_pretrain.yaml */
const TRAIN_KEYS = ['global_batch_size', 'epochs', 'lr', 'lr_min_ratio', 'lr_warmup_steps', 'weight_decay', 'beta1', 'beta2', 'puzzle_emb_lr', 'puzzle_emb_weight_decay', 'ema', 'ema_rate'];
const WHY: Record<string, string> = {
  'train.max_steps': 'the reference always runs all epochs',
  'train.checkpoint_every': 'the reference checkpoints at each eval_interval (--eval-interval)',
  'train.micro_batch_size': 'the reference runs global_batch_size / GPUs rows per GPU at once',
};
const SECTION_WHY: Record<string, string> = {
  fetch: 'carried by the exported data',
  augment: 'carried by the exported data',
  encode: 'carried by the exported data',
  evaluate: 'evaluation runs here after import-checkpoint',
  report: 'reports run here after import-checkpoint',
  runtime: 'settings of this project\'s engine; the GPUs of the torchrun line are --nproc',
};

/** A hydra value: Python booleans, numbers as JS prints them (hydra reads 1e-05 and 0.0001 alike), strings bare. */
function hydraValue(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' || typeof v === 'string') return String(v);
  throw new Error(`cannot write ${JSON.stringify(v)} as a hydra override`);
}

/** A string inside a hydra override: bare when hydra reads it as one string, else single-quoted. */
function hydraString(s: string): string {
  return /^[\w./-]+$/.test(s) ? s : `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Quotes a shell word when it holds anything but plain characters. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function referenceCommand(config: ResolvedConfig, opts: ReferenceCommandOptions): ReferenceCommand {
  const arch = config.arch as Record<string, unknown>;
  const train = config.train as Record<string, unknown>;
  const epochs = train.epochs as number;
  const evalInterval = opts.evalInterval ?? epochs;
  if (!Number.isInteger(evalInterval) || evalInterval < 1 || epochs % evalInterval !== 0) {
    throw new Error(`--eval-interval ${evalInterval}: must divide train.epochs (${epochs}); pretrain.py asserts it`);
  }
  if (!Number.isInteger(opts.nproc) || opts.nproc < 1) throw new Error(`--nproc ${opts.nproc}: expected a number of GPUs >= 1`);
  const overrides: string[] = [`data_paths=[${hydraString(opts.dataDir)}]`, 'arch=trm'];
  const mapped = new Set<string>();
  for (const k of ARCH_KEYS) if (k in arch) { overrides.push(`arch.${k}=${hydraValue(arch[k])}`); mapped.add(`arch.${k}`); }
  for (const k of ARCH_PLUS_KEYS) if (k in arch) { overrides.push(`+arch.${k}=${hydraValue(arch[k])}`); mapped.add(`arch.${k}`); }
  const bf16 = config.runtime?.precision === 'bf16';
  overrides.push(`arch.forward_dtype=${bf16 ? 'bfloat16' : 'float32'}`); // runtime.precision's
  for (const k of TRAIN_KEYS) if (k in train) { overrides.push(`${k}=${hydraValue(train[k])}`); mapped.add(`train.${k}`); }
  overrides.push(`seed=${config.seed}`, `eval_interval=${evalInterval}`);
  if (!opts.arcEvaluator) overrides.push('evaluators=[]');
  overrides.push(`+run_name=${hydraString(config.name)}`, `+checkpoint_path=${hydraString(opts.checkpointPath)}`);
  if (opts.loadCheckpoint) overrides.push(`+load_checkpoint=${hydraString(opts.loadCheckpoint)}`);

  const unmapped: string[] = [];
  for (const [section, values] of [['arch', arch], ['train', train]] as const) {
    for (const [k, v] of Object.entries(values)) {
      const key = `${section}.${k}`;
      if (!mapped.has(key)) unmapped.push(`${key}=${JSON.stringify(v)} (${WHY[key] ?? 'no reference setting'})`);
    }
  }
  for (const [section, why] of Object.entries(SECTION_WHY)) {
    const values = config[section as keyof ResolvedConfig] as Record<string, unknown>;
    if (values && Object.keys(values).length > 0) unmapped.push(`${section}.* (${why})`);
  }
  const notes = [
    bf16
      ? 'arch.forward_dtype=bfloat16 is runtime.precision bf16 (and the reference default)'
      : 'arch.forward_dtype=float32 computes as this project does (runtime.precision fp32); drop it for the reference default, bfloat16 (faster on GPUs, other results)',
    'pretrain.py logs to Weights & Biases: run `wandb login`, or set WANDB_MODE=offline',
  ];
  const batch = train.global_batch_size as number;
  if (batch % opts.nproc !== 0) notes.push(`global_batch_size ${batch} is not a multiple of ${opts.nproc} GPUs: each GPU gets ${Math.floor(batch / opts.nproc)} rows`);
  return {
    overrides,
    python: ['python', 'pretrain.py', ...overrides],
    torchrun: ['torchrun', `--nproc-per-node`, String(opts.nproc), '--rdzv_backend=c10d', '--rdzv_endpoint=localhost:0', '--nnodes=1', 'pretrain.py', ...overrides],
    unmapped,
    notes,
  };
}

/** The command as a line to paste into a shell. */
export const commandLine = (argv: string[]) => argv.map(shellQuote).join(' ');
