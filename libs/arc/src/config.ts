import type { SectionSchema } from '@trm/dataset';

// The dataset-owned config keys of each stage section, their defaults and readers.

export interface FetchConfig {
  layout: 'kaggle' | 'per-task';
  /** folder holding the files (kaggle) or one folder per subset (per-task); resolved by the pipeline */
  path: string;
  /** kaggle file prefix: `<prefix>_<subset>_challenges.json` */
  prefix: string;
  subsets: string[];
  test_set_name: string;
  test_set_name2: string;
  /** keep at most this many tasks per subset (seeded subsample); 0 = all */
  max_tasks: number;
  /** the config's top-level seed (the pipeline adds it to the fetch section) */
  seed: number;
}

export interface AugmentConfig {
  num_aug: number;
  /** tries per wanted augmentation before giving up on a task with few distinct copies (reference: 5) */
  retries_factor: number;
  /** random translation of training examples inside the canvas (reference: on) */
  translate: boolean;
}

export interface EvaluateConfig {
  pass_ks: number[];
  submission_k: number;
}

export const schema: { fetch: SectionSchema; augment: SectionSchema; encode: SectionSchema; evaluate: SectionSchema } = {
  fetch: {
    layout: { type: 'enum', values: ['kaggle', 'per-task'], default: 'kaggle', description: 'kaggle: <prefix>_<subset>_challenges.json + _solutions.json; per-task: <path>/<subset>/<task id>.json with {train, test} and outputs' },
    path: { type: 'string', default: '../shared/data/arc/kaggle-combined', description: 'data folder, relative to the repository root' },
    prefix: { type: 'string', default: 'arc-agi', description: 'kaggle file prefix' },
    subsets: { type: 'array', items: { type: 'string', description: 'subset name' }, default: ['training', 'evaluation', 'concept'], description: 'subsets to load (kaggle set names or per-task folder names)' },
    test_set_name: { type: 'string', default: 'evaluation', description: 'subset whose test inputs form the test split (its demonstration pairs go to training)' },
    test_set_name2: { type: 'string', default: 'evaluation2', description: 'a second test subset, as the reference' },
    max_tasks: { type: 'integer', default: 0, min: 0, description: 'keep at most this many tasks per subset (subsample seeded by the config seed); 0 = all' },
  },
  augment: {
    num_aug: { type: 'integer', default: 1000, min: 0, description: 'augmented copies per task (dihedral + colour permutation), deduplicated' },
    retries_factor: { type: 'integer', default: 5, min: 1, description: 'draws per wanted copy before giving up (reference: 5)' },
    translate: { type: 'boolean', default: true, description: 'random translation of training examples inside the 30x30 canvas, except one per puzzle' },
  },
  encode: {},
  evaluate: {
    pass_ks: { type: 'array', items: { type: 'integer', description: 'K' }, default: [1, 2, 5, 10, 100, 1000], description: 'K values of pass@K' },
    submission_k: { type: 'integer', default: 2, min: 1, description: 'attempts per test input in submission.json' },
  },
};

function str(cfg: Record<string, unknown>, key: string, fallback: string): string {
  const v = cfg[key] ?? fallback;
  if (typeof v !== 'string') throw new TypeError(`arc config: ${key} must be a string, got ${JSON.stringify(v)}`);
  return v;
}

function int(cfg: Record<string, unknown>, key: string, fallback: number, min: number): number {
  const v = cfg[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new TypeError(`arc config: ${key} must be an integer >= ${min}, got ${JSON.stringify(v)}`);
  return v;
}

function bool(cfg: Record<string, unknown>, key: string, fallback: boolean): boolean {
  const v = cfg[key] ?? fallback;
  if (typeof v !== 'boolean') throw new TypeError(`arc config: ${key} must be true or false, got ${JSON.stringify(v)}`);
  return v;
}

function list<T>(cfg: Record<string, unknown>, key: string, fallback: T[], check: (x: unknown) => x is T, what: string): T[] {
  const v = cfg[key] ?? fallback;
  if (!Array.isArray(v) || !v.every(check)) throw new TypeError(`arc config: ${key} must be a list of ${what}, got ${JSON.stringify(v)}`);
  return v;
}

export function readFetchConfig(cfg: Record<string, unknown>): FetchConfig {
  const layout = str(cfg, 'layout', 'kaggle');
  if (layout !== 'kaggle' && layout !== 'per-task') throw new TypeError(`arc config: layout must be "kaggle" or "per-task", got ${JSON.stringify(layout)}`);
  const subsets = list(cfg, 'subsets', ['training', 'evaluation', 'concept'], (x): x is string => typeof x === 'string' && x.length > 0, 'subset names');
  if (subsets.length === 0) throw new TypeError('arc config: subsets must name at least one subset');
  return {
    layout,
    path: str(cfg, 'path', '../shared/data/arc/kaggle-combined'),
    prefix: str(cfg, 'prefix', 'arc-agi'),
    subsets,
    test_set_name: str(cfg, 'test_set_name', 'evaluation'),
    test_set_name2: str(cfg, 'test_set_name2', 'evaluation2'),
    max_tasks: int(cfg, 'max_tasks', 0, 0),
    seed: int(cfg, 'seed', 0, -0x80000000),
  };
}

export function readAugmentConfig(cfg: Record<string, unknown>): AugmentConfig {
  return {
    num_aug: int(cfg, 'num_aug', 1000, 0),
    retries_factor: int(cfg, 'retries_factor', 5, 1),
    translate: bool(cfg, 'translate', true),
  };
}

export function readEvaluateConfig(cfg: Record<string, unknown>): EvaluateConfig {
  return {
    pass_ks: list(cfg, 'pass_ks', [1, 2, 5, 10, 100, 1000], (x): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 1, 'integers >= 1'),
    submission_k: int(cfg, 'submission_k', 2, 1),
  };
}

/** Subsets whose test inputs form the test split. */
export function isTestSubset(cfg: FetchConfig, subset: string): boolean {
  return subset === cfg.test_set_name || subset === cfg.test_set_name2;
}
