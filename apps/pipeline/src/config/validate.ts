// Validates a config section against a FieldSchema map, fills defaults, and reports every
// problem with the file, the dotted key path, the bad value and what is allowed.
import type { FieldSchema, SectionSchema } from '@trm/dataset';

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

function describeAllowed(f: FieldSchema): string {
  switch (f.type) {
    case 'number':
    case 'integer': {
      const range = [f.min !== undefined ? `>= ${f.min}` : '', f.max !== undefined ? `<= ${f.max}` : ''].filter(Boolean).join(' and ');
      return `${f.type === 'integer' ? 'an integer' : 'a number'}${range ? ' ' + range : ''}`;
    }
    case 'string': return 'a string';
    case 'boolean': return 'true or false';
    case 'enum': return `one of ${f.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'array': return `an array, each item ${describeAllowed(f.items)}`;
    case 'object': return `an object with keys ${Object.keys(f.fields).join(', ')}`;
  }
}

function checkValue(f: FieldSchema, v: unknown, path: string, errors: string[]): unknown {
  const bad = () => { errors.push(`${path} = ${JSON.stringify(v)}: expected ${describeAllowed(f)} (${f.description})`); return v; };
  switch (f.type) {
    case 'number':
    case 'integer':
      if (typeof v !== 'number' || !Number.isFinite(v)) return bad();
      if (f.type === 'integer' && !Number.isInteger(v)) return bad();
      if ((f.min !== undefined && v < f.min) || (f.max !== undefined && v > f.max)) return bad();
      return v;
    case 'string': return typeof v === 'string' ? v : bad();
    case 'boolean': return typeof v === 'boolean' ? v : bad();
    case 'enum': return typeof v === 'string' && f.values.includes(v) ? v : bad();
    case 'array':
      if (!Array.isArray(v)) return bad();
      return v.map((x, i) => checkValue(f.items, x, `${path}[${i}]`, errors));
    case 'object':
      if (typeof v !== 'object' || v === null || Array.isArray(v)) return bad();
      return checkFields(f.fields, v as Record<string, unknown>, path, errors);
  }
}

function checkFields(schema: SectionSchema, value: Record<string, unknown>, path: string, errors: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    if (!(key in schema)) errors.push(`${path}.${key}: unknown key; allowed keys: ${Object.keys(schema).sort().join(', ') || '(none)'}`);
  }
  for (const [key, f] of Object.entries(schema)) {
    const v = value[key];
    if (v === undefined) {
      if ('default' in f && f.default !== undefined) out[key] = structuredClone(f.default);
      else if (f.type === 'object' && !f.optional) out[key] = checkFields(f.fields, {}, `${path}.${key}`, errors);
      else if (!f.optional) errors.push(`${path}.${key}: missing; expected ${describeAllowed(f)} (${f.description})`);
      continue;
    }
    out[key] = checkValue(f, v, `${path}.${key}`, errors);
  }
  return out;
}

/** Returns the section with defaults filled in; problems are appended to `errors`. */
export function checkSection(schema: SectionSchema, value: unknown, section: string, errors: string[]): Record<string, unknown> {
  if (value === undefined) value = {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    errors.push(`${section} = ${JSON.stringify(value)}: expected an object`);
    return {};
  }
  return checkFields(schema, value as Record<string, unknown>, section, errors);
}

export function invalidConfig(file: string, errors: string[]): ConfigError {
  return new ConfigError(`${file}: invalid config\n  ${errors.join('\n  ')}`);
}

/** Returns the section with defaults filled in, or throws one ConfigError listing every problem. */
export function validateSection(schema: SectionSchema, value: unknown, section: string, file: string): Record<string, unknown> {
  const errors: string[] = [];
  const out = checkSection(schema, value, section, errors);
  if (errors.length) throw invalidConfig(file, errors);
  return out;
}

/** Typed parsing of a `--set` value against the field it targets (falls back to JSON, then string). */
export function parseSetValue(raw: string, f: FieldSchema | undefined, path: string): unknown {
  if (f && (f.type === 'number' || f.type === 'integer')) {
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--set ${path}=${raw}: expected ${describeAllowed(f)}`);
    return n;
  }
  if (f && f.type === 'boolean') {
    if (raw === 'true' || raw === '1') return true;
    if (raw === 'false' || raw === '0') return false;
    throw new UsageError(`--set ${path}=${raw}: expected true or false`);
  }
  if (f && (f.type === 'string' || f.type === 'enum')) return raw;
  try { return JSON.parse(raw); } catch { return raw; }
}
