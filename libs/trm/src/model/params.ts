// Parameter names, shapes and initialisation (spec section 2), with the reference state-dict names.
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@trm/augment';
import { swigluInner, truncatedNormalHost } from '@trm/tensor-core';
import type { TensorDict } from '@trm/tensor-core';
import { archConfigSchema, issueLines, type ArchConfig } from '@trm/trm-config';

export const PREFIX = 'model.inner.';
export const H_INIT = `${PREFIX}H_init`;
export const L_INIT = `${PREFIX}L_init`;
export const PUZZLE_EMB = `${PREFIX}puzzle_emb.weights`;

/** Sizes derived from the config. */
export interface Dims {
  /** puzzle positions P0 */
  puzzleLen: number;
  /** S' = seq_len + P0 */
  totalLen: number;
  headDim: number;
  /** SwiGLU inner width over the hidden axis */
  innerHidden: number;
  /** SwiGLU inner width over the position axis (mlp_t) */
  innerTokens: number;
}

export function dims(arch: ArchConfig): Dims {
  const puzzleLen = arch.puzzle_emb_ndim === 0 ? 0 : arch.puzzle_emb_len === 0 ? Math.ceil(arch.puzzle_emb_ndim / arch.hidden_size) : arch.puzzle_emb_len;
  const totalLen = arch.seq_len + puzzleLen;
  return {
    puzzleLen,
    totalLen,
    headDim: arch.hidden_size / arch.num_heads,
    innerHidden: swigluInner(arch.hidden_size, arch.expansion),
    innerTokens: swigluInner(totalLen, arch.expansion),
  };
}

/** Trainable parameter (AdamATan2) or fixed buffer, in reference `named_parameters()` order. */
export interface ParamSpec {
  name: string;
  shape: number[];
  /** truncated-normal std; 0 = zeros */
  std: number;
  /** constant fill instead of a random init (q_head.bias = -5) */
  fill?: number;
}

export function layerName(i: number, rest: string): string {
  return `${PREFIX}L_level.layers.${i}.${rest}`;
}

/** A weight of the L-level blocks (its gradient comes from the blocks' own backward, see block.ts). */
export function isBlockParam(name: string): boolean {
  return name.startsWith(`${PREFIX}L_level.layers.`);
}

export function paramSpecs(arch: ArchConfig): ParamSpec[] {
  const d = dims(arch);
  const D = arch.hidden_size;
  const specs: ParamSpec[] = [
    { name: `${PREFIX}embed_tokens.embedding_weight`, shape: [arch.vocab_size, D], std: 1 / Math.sqrt(D) },
    { name: `${PREFIX}lm_head.weight`, shape: [arch.vocab_size, D], std: 1 / Math.sqrt(D) },
    { name: `${PREFIX}q_head.weight`, shape: [2, D], std: 0 },
    { name: `${PREFIX}q_head.bias`, shape: [2], std: 0, fill: -5 },
  ];
  if (arch.pos_encodings === 'learned') {
    specs.push({ name: `${PREFIX}embed_pos.embedding_weight`, shape: [d.totalLen, D], std: 1 / Math.sqrt(D) });
  }
  for (let i = 0; i < arch.L_layers; i++) {
    if (arch.mlp_t) {
      specs.push({ name: layerName(i, 'mlp_t.gate_up_proj.weight'), shape: [2 * d.innerTokens, d.totalLen], std: 1 / Math.sqrt(d.totalLen) });
      specs.push({ name: layerName(i, 'mlp_t.down_proj.weight'), shape: [d.totalLen, d.innerTokens], std: 1 / Math.sqrt(d.innerTokens) });
    } else {
      specs.push({ name: layerName(i, 'self_attn.qkv_proj.weight'), shape: [3 * D, D], std: 1 / Math.sqrt(D) });
      specs.push({ name: layerName(i, 'self_attn.o_proj.weight'), shape: [D, D], std: 1 / Math.sqrt(D) });
    }
    specs.push({ name: layerName(i, 'mlp.gate_up_proj.weight'), shape: [2 * d.innerHidden, D], std: 1 / Math.sqrt(D) });
    specs.push({ name: layerName(i, 'mlp.down_proj.weight'), shape: [D, d.innerHidden], std: 1 / Math.sqrt(d.innerHidden) });
  }
  return specs;
}

/** Buffers saved with the weights but never trained. */
export function bufferSpecs(arch: ArchConfig): ParamSpec[] {
  const specs: ParamSpec[] = [
    { name: H_INIT, shape: [arch.hidden_size], std: 1 },
    { name: L_INIT, shape: [arch.hidden_size], std: 1 },
  ];
  if (arch.puzzle_emb_ndim > 0) specs.push({ name: PUZZLE_EMB, shape: [arch.num_puzzle_identifiers, arch.puzzle_emb_ndim], std: 0 });
  return specs;
}

/** Initial values of every parameter and buffer, deterministic in `seed`. */
export function initialValues(arch: ArchConfig, seed: number): Map<string, tf.Tensor> {
  const rng = createRng(seed);
  const out = new Map<string, tf.Tensor>();
  for (const spec of [...paramSpecs(arch), ...bufferSpecs(arch)]) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const data = spec.fill !== undefined ? new Float32Array(size).fill(spec.fill) : truncatedNormalHost(size, spec.std, rng);
    out.set(spec.name, tf.tensor(data, spec.shape, 'float32'));
  }
  return out;
}

/**
 * The float32 values of `dict` for every parameter and buffer of `arch`, by reference name (`_orig_mod.` prefix
 * accepted); throws on a missing, unexpected or misshapen tensor. `who` starts the error messages.
 */
export function checkedValues(arch: ArchConfig, dict: TensorDict, who: string): Map<string, Float32Array> {
  const strip = (k: string) => (k.startsWith('_orig_mod.') ? k.slice('_orig_mod.'.length) : k);
  const byName = new Map(Object.entries(dict).map(([k, v]) => [strip(k), v]));
  const buffers = new Set(bufferSpecs(arch).map((s) => s.name));
  const specs = [...paramSpecs(arch), ...bufferSpecs(arch)];
  const known = new Set(specs.map((s) => s.name));
  for (const key of byName.keys()) {
    if (!known.has(key)) throw new Error(`${who}: unexpected tensor "${key}" (not a parameter or buffer of this arch)`);
  }
  const out = new Map<string, Float32Array>();
  for (const { name, shape } of specs) {
    const src = byName.get(name);
    if (!src) throw new Error(`${who}: missing tensor "${name}"${buffers.has(name) ? ' (buffer)' : ''}`);
    if (src.shape.length !== shape.length || src.shape.some((n, i) => n !== shape[i])) {
      throw new Error(`${who}: "${name}" has shape [${src.shape}], expected [${shape}]`);
    }
    if (src.dtype !== 'float32' && src.dtype !== 'float64') throw new Error(`${who}: "${name}" has dtype ${src.dtype}, expected float32`);
    out.set(name, src.data instanceof Float32Array ? src.data : Float32Array.from(src.data as Float64Array));
  }
  return out;
}

/** Tensors of given values (see checkedValues) in place of initialValues: no random draw. */
export function givenValues(arch: ArchConfig, dict: TensorDict): Map<string, tf.Tensor> {
  const shapes = new Map([...paramSpecs(arch), ...bufferSpecs(arch)].map((s) => [s.name, s.shape]));
  const out = new Map<string, tf.Tensor>();
  for (const [name, data] of checkedValues(arch, dict, 'createModel')) out.set(name, tf.tensor(data, shapes.get(name)!, 'float32'));
  return out;
}

/** Throws, naming the field, unless `arch` is a valid architecture (the schema's ranges, then what fits together). */
export function validateArch(arch: ArchConfig): void {
  const parsed = archConfigSchema.safeParse(arch);
  if (!parsed.success) throw new Error(`invalid arch: ${issueLines('arch', arch, parsed.error.issues).join('; ')}`);
  if (!arch.mlp_t && arch.hidden_size % arch.num_heads !== 0) throw new Error(`arch.num_heads: ${arch.num_heads} does not divide hidden_size ${arch.hidden_size}`);
  if (arch.puzzle_emb_ndim > 0 && arch.num_puzzle_identifiers < 1) throw new Error('arch.num_puzzle_identifiers: expected >= 1 when puzzle_emb_ndim > 0');
  if (!arch.no_ACT_continue) throw new Error('arch.no_ACT_continue: only true (the published recipes) is implemented; the Q-continue target is not');
  const d = dims(arch);
  if (arch.puzzle_emb_ndim > d.puzzleLen * arch.hidden_size) {
    throw new Error(`arch.puzzle_emb_len: ${d.puzzleLen} positions of ${arch.hidden_size} cannot hold puzzle_emb_ndim ${arch.puzzle_emb_ndim}`);
  }
}
