import type { SectionSchema } from '@trm/dataset';

// The dataset-owned keys of each config section, with their defaults.

export const fetchSchema: SectionSchema = {
  source: {
    type: 'enum',
    values: ['generator', 'huggingface', 'csv', 'reference-npy'],
    default: 'generator',
    description: 'where the mazes come from',
  },
  rows: { type: 'integer', default: 30, min: 3, max: 255, description: 'generator/csv: maze height' },
  cols: { type: 'integer', default: 30, min: 3, max: 255, description: 'generator/csv: maze width' },
  train_count: { type: 'integer', default: 1000, min: 0, description: 'generator: number of training mazes' },
  test_count: { type: 'integer', default: 1000, min: 0, description: 'generator: number of test mazes' },
  algorithm: {
    type: 'enum',
    values: ['carve', 'random'],
    default: 'carve',
    description: 'generator: `carve` = randomised-DFS maze with loops (fast); `random` = independent random walls (Maze-Hard look, slow for long paths)',
  },
  min_path_length: {
    type: 'integer',
    default: 110,
    min: 2,
    description: 'generator: keep mazes whose shortest S-G path has at least this many cells, S and G included (Maze-Hard: 110)',
  },
  unique_path: { type: 'boolean', default: false, description: 'generator: keep only mazes with a unique shortest path' },
  loop_fraction: {
    type: 'number',
    default: 0.03,
    min: 0,
    max: 1,
    description: 'generator (carve): fraction of the remaining walls removed after carving',
  },
  wall_density: { type: 'number', default: 0.37, min: 0, max: 1, description: 'generator (random): probability of a wall' },
  max_attempts: { type: 'integer', default: 1000, min: 1, description: 'generator: attempts per maze before giving up' },
  train_path: {
    type: 'string',
    default: '../shared/data/maze/maze-hard-train.csv',
    description: 'csv: training file (columns question,answer; optional source,rating)',
  },
  test_path: {
    type: 'string',
    default: '../shared/data/maze/maze-hard-test.csv',
    description: 'csv: test file',
  },
  path: {
    type: 'string',
    default: '../shared/data/maze/reference-npy',
    description: 'reference-npy: folder written by the reference builder (train/, test/)',
  },
  revision: { type: 'string', default: 'main', description: 'huggingface: commit, tag or branch of sapientinc/maze-30x30-hard-1k to download' },
  train_sha256: { type: 'string', optional: true, description: 'huggingface: expected sha256 of train.csv (without one, the first download\'s is recorded and checked after)' },
  test_sha256: { type: 'string', optional: true, description: 'huggingface: expected sha256 of test.csv' },
  train_limit: { type: 'integer', min: 0, optional: true, description: 'csv/huggingface/reference-npy: keep the first N training mazes' },
  test_limit: { type: 'integer', min: 0, optional: true, description: 'csv/huggingface/reference-npy: keep the first N test mazes' },
};

export const augmentSchema: SectionSchema = {
  dihedral: {
    type: 'boolean',
    default: true,
    description: 'add the 7 non-identity dihedral transforms of every training maze (the reference builder leaves this off)',
  },
};

export const encodeSchema: SectionSchema = {
  rows: { type: 'integer', default: 30, min: 1, max: 255, description: 'canvas height; smaller mazes are padded with PAD' },
  cols: { type: 'integer', default: 30, min: 1, max: 255, description: 'canvas width' },
};

export const evaluateSchema: SectionSchema = {
  rows: { type: 'integer', min: 1, max: 255, optional: true, description: 'canvas height when it is not square (= encode.rows)' },
  cols: { type: 'integer', min: 1, max: 255, optional: true, description: 'canvas width when it is not square (= encode.cols)' },
};

/** Read a key of a config section, falling back to the schema default; type errors name section and key. */
export function option<T extends number | string | boolean>(
  cfg: Record<string, unknown>,
  schema: SectionSchema,
  section: string,
  key: string,
): T {
  const field = schema[key];
  if (!field) throw new Error(`maze: unknown key ${section}.${key}`);
  const value = cfg[key] ?? ('default' in field ? field.default : undefined);
  if (value === undefined) throw new Error(`maze: ${section}.${key} is required (${field.description})`);
  const expected = field.type === 'integer' ? 'number' : field.type === 'enum' ? 'string' : field.type;
  if (typeof value !== expected || (field.type === 'integer' && !Number.isInteger(value))) {
    throw new Error(`maze: ${section}.${key} must be ${field.type === 'integer' ? 'an integer' : `a ${expected}`}, got ${JSON.stringify(value)}`);
  }
  if (field.type === 'enum' && !field.values.includes(value as string)) {
    throw new Error(`maze: ${section}.${key} must be one of ${field.values.join(', ')}, got ${JSON.stringify(value)}`);
  }
  if ((field.type === 'number' || field.type === 'integer') && typeof value === 'number') {
    if ((field.min !== undefined && value < field.min) || (field.max !== undefined && value > field.max)) {
      throw new Error(`maze: ${section}.${key} must be in [${field.min ?? '-inf'}, ${field.max ?? 'inf'}], got ${value}`);
    }
  }
  return value as T;
}

/** An optional key: undefined when absent, otherwise checked like `option`. */
export function optionalOption<T extends number | string | boolean>(
  cfg: Record<string, unknown>,
  schema: SectionSchema,
  section: string,
  key: string,
): T | undefined {
  return cfg[key] === undefined ? undefined : option<T>(cfg, schema, section, key);
}
