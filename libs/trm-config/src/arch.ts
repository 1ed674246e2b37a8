// The architecture config, defined once (zod): the `arch` section of a config, with the reference's names, defaults
// and ranges. ArchConfig (the type), the validation of a config file's section and of a model's arch, the defaults
// and the JSON Schema of configs/*.json all come from here.
import { z } from 'zod';

/** The `arch` section of a config: the reference's hydra `arch.*` names. */
export const archSchema = z
  .object({
    hidden_size: z.int().min(1).default(512).describe('width D of every hidden state'),
    num_heads: z.int().min(1).default(8).describe('attention heads (hidden_size must be divisible by it)'),
    expansion: z.number().min(0).default(4).describe('SwiGLU expansion factor'),
    H_cycles: z.int().min(1).default(3).describe('recursion rounds per supervision step'),
    L_cycles: z.int().min(1).default(6).describe('z_L updates per round'),
    L_layers: z.int().min(1).default(2).describe('blocks in the shared network'),
    mlp_t: z.boolean().default(false).describe('MLP over the token axis instead of attention'),
    pos_encodings: z.enum(['rope', 'learned', 'none']).default('rope').describe('position encoding'),
    puzzle_emb_ndim: z.int().min(0).default(512).describe('puzzle embedding width (0 = none)'),
    puzzle_emb_len: z.int().min(0).default(0).describe('prepended positions (0 = ceil(puzzle_emb_ndim / hidden_size))'),
    halt_max_steps: z.int().min(1).default(16).describe('supervision steps (ACT maximum)'),
    halt_exploration_prob: z.number().min(0).max(1).default(0.1).describe('probability of a random minimum step count while training'),
    rope_theta: z.number().min(0).default(10000).describe('RoPE base'),
    rms_norm_eps: z.number().min(0).default(1e-5).describe('RMSNorm epsilon'),
    no_ACT_continue: z.boolean().default(true).describe('halt on q_halt > 0 only (no q_continue target)'),
  })
  .strict();

/** The sizes an arch takes from the encoded data. */
export const dataShapeSchema = z.object({
  seq_len: z.int().min(1).describe('tokens per example'),
  vocab_size: z.int().min(1).describe('token ids'),
  num_puzzle_identifiers: z.int().min(0).describe('rows of the puzzle-embedding table'),
});

/** A model's architecture: the config section and the data's sizes. */
export const archConfigSchema = archSchema.extend(dataShapeSchema.shape);

/** The `arch` section of a config, defaults filled. */
export type ArchSettings = z.output<typeof archSchema>;
/** A model's architecture (createModel's), with the reference's names. */
export type ArchConfig = z.output<typeof archConfigSchema>;

/**
 * `section.key = value: expected ...` for each problem zod found with `value` (the engine's own checks of an arch or
 * train config built in code; config files are checked, with descriptions, by the pipeline's loader).
 */
export function issueLines(section: string, value: unknown, issues: z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((k) => `${[section, ...issue.path, k].join('.')}: unknown key`);
    const at = issue.path.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined), value);
    const where = [section, ...issue.path].join('.');
    if (at === undefined) return [`${where}: missing`];
    const expected =
      issue.code === 'too_small' ? `expected ${issue.inclusive ? '>=' : '>'} ${issue.minimum}`
      : issue.code === 'too_big' ? `expected ${issue.inclusive ? '<=' : '<'} ${issue.maximum}`
      : issue.code === 'invalid_type' ? `expected ${issue.expected === 'int' ? 'an integer' : `a ${issue.expected}`}`
      : issue.code === 'invalid_value' ? `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
      : issue.message;
    return [`${where} = ${JSON.stringify(at)}: ${expected}`];
  });
}
