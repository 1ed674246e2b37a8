// Loads configs/<name>.json: follows `extends` (deep merge), applies `--set` overrides with typed
// parsing and train aliases, validates every section and fills defaults.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseJsonText } from '@trm/dataset';
import { configJsonSchema, configSchema, nodeAt, type ConfigValues, type JsonSchema } from './schema.ts';
import { trainAliases } from './sections.ts';
import { ConfigError, UsageError, invalidConfig, parseSetValue, problemLines } from './validate.ts';
import { builtinDatasets, resolveDataset, type ResolvedDataset } from '../registry.ts';

export type Section = Record<string, unknown>;

/** A config resolved: extends followed, --set applied, every section validated and its defaults filled (schema.ts). */
export type ResolvedConfig = Omit<ConfigValues, '$schema'> & {
  name: string;
  file: string;
};

export const SECTIONS = ['fetch', 'augment', 'encode', 'arch', 'train', 'evaluate', 'report', 'runtime', 'tracking'] as const;
const TOP_KEYS = ['$schema', 'description', 'extends', 'dataset', 'seed', ...SECTIONS];

export function configFile(name: string, dir: string): string {
  return name.endsWith('.json') ? path.resolve(name) : path.join(dir, `${name}.json`);
}

function readJson(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new ConfigError(`${file}: cannot read the config (${code === 'EISDIR' ? 'a folder, not a file' : (e as Error).message})`);
    const dir = path.dirname(file);
    const known = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)) : [];
    throw new UsageError(`${file}: config not found; known configs: ${known.join(', ') || '(none)'}`);
  }
  let v: unknown;
  try {
    v = parseJsonText(text, file, { comments: true }); // JSONC: comments and trailing commas are allowed
  } catch (e) {
    throw new ConfigError((e as Error).message);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`${file}: expected a JSON object`);
  return v as Record<string, unknown>;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

export function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/** The config file merged over its `extends` chain (no validation). */
export function loadRaw(name: string, dir: string, seen: string[] = []): { raw: Record<string, unknown>; file: string } {
  const file = configFile(name, dir);
  if (seen.includes(file)) throw new ConfigError(`${file}: "extends" cycle: ${[...seen, file].join(' -> ')}`);
  const own = readJson(file);
  for (const k of Object.keys(own)) {
    if (!TOP_KEYS.includes(k)) throw new ConfigError(`${file}: unknown top-level key "${k}"; allowed: ${TOP_KEYS.join(', ')}`);
  }
  if (own.extends === undefined) return { raw: own, file };
  if (typeof own.extends !== 'string') throw new ConfigError(`${file}: extends = ${JSON.stringify(own.extends)}: expected a config name`);
  const base = loadRaw(own.extends, path.dirname(file), [...seen, file]).raw;
  const { extends: _parent, ...rest } = own;
  const merged = deepMerge(base, rest);
  delete merged.extends;
  return { raw: merged, file };
}

/** Applies `key=value` overrides, typed by the field of `schema` they set; a bare reference name like `lr` means `train.lr`. */
export function applySets(raw: Record<string, unknown>, sets: readonly string[], schema: JsonSchema): Record<string, unknown> {
  const out = structuredClone(raw);
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new UsageError(`--set ${s}: expected key=value (e.g. train.lr=3e-4 or lr=3e-4)`);
    let key = s.slice(0, eq).trim();
    const value = s.slice(eq + 1);
    if (!key.includes('.') && trainAliases.includes(key)) key = `train.${key}`;
    const keys = key.split('.');
    if (!TOP_KEYS.includes(keys[0]) || keys[0] === 'extends' || keys[0] === '$schema') throw new UsageError(`--set ${s}: unknown key "${keys[0]}"; use a section key (train.lr, arch.hidden_size, ...) or a train alias (${trainAliases.join(', ')})`);
    const f = nodeAt(schema, keys);
    let node = out;
    for (const k of keys.slice(0, -1)) {
      if (!isObject(node[k])) node[k] = {};
      node = node[k] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]] = parseSetValue(value, f, key);
  }
  return out;
}

export interface LoadOptions {
  dir: string;
  root: string;
  sets?: readonly string[];
}

export async function loadConfig(name: string, opts: LoadOptions): Promise<{ config: ResolvedConfig; dataset: ResolvedDataset }> {
  const { raw: merged, file } = loadRaw(name, opts.dir);
  const datasetOverride = (opts.sets ?? []).find((s) => s.startsWith('dataset='));
  const datasetName = datasetOverride ? datasetOverride.slice('dataset='.length) : merged.dataset;
  if (typeof datasetName !== 'string' || !datasetName) throw new ConfigError(`${file}: dataset = ${JSON.stringify(datasetName)}: expected ${builtinDatasets().join(', ')} or a package/path implementing DatasetLib`);
  const dataset = await resolveDataset(datasetName, opts.root);
  const schema = configSchema(dataset);
  const json = configJsonSchema(dataset);
  const raw = applySets(merged, opts.sets ?? [], json);
  raw.dataset = datasetName;
  const seed = raw.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0) throw blameSets(file, [`seed = ${JSON.stringify(seed)}: expected a non-negative integer`], opts.sets ?? []);
  // a dataset's own fetch.seed (if it has one) defaults to the top-level seed
  if ('seed' in dataset.lib.schema.fetch && !(isObject(raw.fetch) && 'seed' in raw.fetch)) raw.fetch = { ...(isObject(raw.fetch) ? raw.fetch : {}), seed };
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw blameSets(file, problemLines(json, raw, parsed.error.issues), opts.sets ?? []);
  const { $schema: _schema, ...values } = parsed.data;
  return { config: { name: path.basename(file, '.json'), file, ...values }, dataset };
}

/** The dotted key a `--set` assigns, aliases resolved (`lr=1` -> `train.lr`). */
function setKey(set: string): string {
  const key = set.slice(0, set.indexOf('=')).trim();
  return !key.includes('.') && trainAliases.includes(key) ? `train.${key}` : key;
}

/**
 * One error for every problem, each blamed on what caused it: a problem of a key that a `--set` assigned (or of
 * something inside it) names that --set, not the config file; the rest name the file. Only --set problems: a usage error.
 */
function blameSets(file: string, errors: string[], sets: readonly string[]): ConfigError {
  const keys = sets.map((s) => ({ s, key: setKey(s) }));
  const fromSet = (e: string) => keys.findLast(({ key }) => e.startsWith(key) && /^($|[.[ :=])/.test(e.slice(key.length, key.length + 1)));
  const lines = errors.map((e) => {
    const set = fromSet(e);
    return set ? `${e} (from --set ${set.s})` : e;
  });
  if (errors.every((e) => fromSet(e))) return new UsageError(`invalid --set override${errors.length > 1 ? 's' : ''} (config ${file})\n  ${lines.join('\n  ')}`);
  return invalidConfig(file, lines);
}

/** Names and descriptions of the configs in `dir` (base files, whose names end in `-base`, included). */
export function listConfigs(dir: string): { name: string; description: string }[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => {
    const name = f.slice(0, -5);
    try {
      const d = loadRaw(name, dir).raw.description;
      return { name, description: typeof d === 'string' ? d : '' };
    } catch (e) {
      return { name, description: `(invalid: ${(e as Error).message.split('\n')[0]})` };
    }
  });
}
