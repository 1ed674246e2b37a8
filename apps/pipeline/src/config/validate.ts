// What a config problem says: the file, the dotted key path, the bad value and what is allowed (from the JSON Schema
// of the config, schema.ts), for every problem zod finds at once; and the typed parsing of `--set` values.
import type { z } from 'zod';
import { nodeAt, type JsonSchema } from './schema.ts';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** A mistake on the command line itself (a `--set` that does not parse or fit, an unknown config): exit code 2. */
export class UsageError extends ConfigError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const SAFE = Number.MAX_SAFE_INTEGER;

/** What a JSON Schema node allows, in words: `an integer >= 1`, `one of "a", "b"`, ... */
export function describeAllowed(node: JsonSchema | undefined): string {
  if (!node) return 'a known key';
  if (node.anyOf) return node.anyOf.map(describeAllowed).join(' or ');
  if (node.enum) return `one of ${node.enum.map((v) => JSON.stringify(v)).join(', ')}`;
  switch (node.type) {
    case 'number':
    case 'integer': {
      const range = [
        node.minimum !== undefined && node.minimum > -SAFE ? `>= ${node.minimum}` : '',
        node.exclusiveMinimum !== undefined ? `> ${node.exclusiveMinimum}` : '',
        node.maximum !== undefined && node.maximum < SAFE ? `<= ${node.maximum}` : '',
        node.exclusiveMaximum !== undefined ? `< ${node.exclusiveMaximum}` : '',
      ].filter(Boolean).join(' and ');
      return `${node.type === 'integer' ? 'an integer' : 'a number'}${range ? ` ${range}` : ''}`;
    }
    case 'string': return 'a string';
    case 'boolean': return 'true or false';
    case 'array': return `an array, each item ${describeAllowed(node.items)}`;
    case 'object': return `an object with keys ${Object.keys(node.properties ?? {}).join(', ')}`;
    default: return 'a value';
  }
}

/** ` (description)` of a node, or nothing. */
const described = (node: JsonSchema | undefined): string => (node?.description ? ` (${node.description})` : '');

function valueAt(value: unknown, keys: readonly PropertyKey[]): unknown {
  return keys.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k] : undefined), value);
}

/**
 * One line per problem zod found validating `value` against the schema whose JSON Schema is `schema`:
 * `arch.hidden_size = "big": expected an integer >= 1 (width D of every hidden state)`,
 * `arch.widht: unknown key; allowed keys: ...`, `train.lr: missing; expected ...`.
 */
export function problemLines(schema: JsonSchema, value: unknown, issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.flatMap((issue) => {
    const keys = issue.path;
    const node = nodeAt(schema, keys);
    const where = keys.join('.');
    if (issue.code === 'unrecognized_keys') {
      const allowed = Object.keys(node?.properties ?? {}).sort().join(', ') || '(none)';
      return issue.keys.map((k) => `${where ? `${where}.` : ''}${k}: unknown key; allowed keys: ${allowed}`);
    }
    const bad = valueAt(value, keys);
    if (bad === undefined) return [`${where}: missing; expected ${describeAllowed(node)}${described(node)}`];
    const expected = keys.length === 1 && node?.type === 'object' ? 'an object' : describeAllowed(node);
    return [`${where} = ${JSON.stringify(bad)}: expected ${expected}${keys.length === 1 ? '' : described(node)}`];
  });
}

export function invalidConfig(file: string, errors: string[]): ConfigError {
  return new ConfigError(`${file}: invalid config\n  ${errors.join('\n  ')}`);
}

/** Typed parsing of a `--set` value against the field it targets (falls back to JSON, then string). */
export function parseSetValue(raw: string, node: JsonSchema | undefined, path: string): unknown {
  const type = node?.enum ? 'enum' : node?.type;
  if (type === 'number' || type === 'integer') {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--set ${path}=${raw}: expected ${describeAllowed(node)}`);
    return n;
  }
  if (type === 'boolean') {
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw new UsageError(`--set ${path}=${raw}: expected true or false`);
  }
  if (type === 'string' || type === 'enum') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}
