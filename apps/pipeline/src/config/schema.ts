// The whole config as one zod schema: the pipeline's and the engine's sections (sections.ts) and the dataset lib's
// (its DatasetLib.schema, converted). Loading validates with it (load.ts); `trm config-schema` writes its JSON Schema,
// which configs/*.json name in `$schema` so that editors complete and check their keys.
import type { FieldSchema, SectionSchema } from '@trm/dataset';
import { z } from 'zod';
import type { ResolvedDataset } from '../registry.ts';
import { archSchema, pipelineEvaluateShape, reportSection, runtimeSection, trackingSection, trainSection } from './sections.ts';

/** A dataset lib's field as a zod schema: its type, range, default (or optional) and description. */
export function fieldSchema(f: FieldSchema): z.ZodType {
  let s: z.ZodType;
  switch (f.type) {
    case 'number':
    case 'integer': {
      let n = f.type === 'integer' ? z.int() : z.number();
      if (f.min !== undefined) n = n.min(f.min);
      if (f.max !== undefined) n = n.max(f.max);
      s = n;
      break;
    }
    case 'string': s = z.string(); break;
    case 'boolean': s = z.boolean(); break;
    case 'enum': s = z.enum(f.values as [string, ...string[]]); break;
    case 'array': s = z.array(fieldSchema(f.items)); break;
    case 'object': s = sectionSchema(f.fields); break;
  }
  s = s.describe(f.description);
  if ('default' in f && f.default !== undefined) {
    const value = f.default;
    return s.default(() => structuredClone(value) as never);
  }
  if (f.optional) return s.optional();
  return f.type === 'object' ? s.prefault({}) : s; // a missing object gets its fields' defaults
}

/** The fields of a dataset lib's section as a zod object shape. */
export function sectionShape(schema: SectionSchema): Record<string, z.ZodType> {
  return Object.fromEntries(Object.entries(schema).map(([k, f]) => [k, fieldSchema(f)]));
}

/** A dataset lib's section as a strict zod object (unknown keys are errors). */
export function sectionSchema(schema: SectionSchema): z.ZodType<Record<string, unknown>> {
  return z.object(sectionShape(schema)).strict();
}

/** The config of `ds`'s dataset, after `extends` and `--set`: every section (missing sections get their defaults). */
export function configSchema(ds: ResolvedDataset) {
  const { schema } = ds.lib;
  return z
    .object({
      $schema: z.string().optional().describe('the JSON Schema of this file (editors; configs/schema/<dataset>.schema.json)'),
      description: z.string().default('').describe('one line shown by `trm configs`'),
      dataset: z.string().describe('sudoku | maze | arc | a package name or path of a module exporting a DatasetLib'),
      seed: z.int().min(0).default(0).describe('seed of every random draw (fetch, augment, training)'),
      fetch: sectionSchema(schema.fetch).prefault({}),
      augment: sectionSchema(schema.augment).prefault({}),
      encode: sectionSchema(schema.encode).prefault({}),
      arch: archSchema.prefault({}),
      train: trainSection.prefault({}),
      evaluate: z.object({ ...pipelineEvaluateShape, ...sectionShape(schema.evaluate) }).strict().prefault({}),
      report: reportSection.prefault({}),
      runtime: runtimeSection.prefault({}),
      tracking: trackingSection.prefault({}),
    })
    .strict();
}

/** A config after loading: every section validated, defaults filled. */
export type ConfigValues = z.output<ReturnType<typeof configSchema>>;

/** A JSON Schema node (the subset zod writes). */
export interface JsonSchema {
  type?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  [key: string]: unknown;
}

/** The JSON Schema of a whole config (after extends): what validation checks, described. */
export function configJsonSchema(ds: ResolvedDataset): JsonSchema {
  return z.toJSONSchema(configSchema(ds), { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

/** The node of `schema` at a key path (`['arch', 'hidden_size']`), or undefined. */
export function nodeAt(schema: JsonSchema, keys: readonly PropertyKey[]): JsonSchema | undefined {
  let node: JsonSchema | undefined = schema;
  for (const k of keys) {
    if (!node) return undefined;
    node = typeof k === 'number' ? node.items : node.properties?.[String(k)];
  }
  return node;
}

/**
 * The JSON Schema of one config file of `ds`'s dataset, for editors: the whole config's, with no key required (any of
 * them may come from the config it extends) and `extends` allowed.
 */
export function configFileJsonSchema(ds: ResolvedDataset, datasetName: string): JsonSchema {
  const schema = configJsonSchema(ds);
  const relax = (node: JsonSchema): void => {
    delete node.required;
    for (const child of Object.values(node.properties ?? {})) relax(child);
    if (node.items) relax(node.items);
  };
  relax(schema);
  schema.properties!.extends = { type: 'string', description: 'a config this one is deep-merged over (its name, or a path ending in .json)' };
  return { ...schema, title: `TRM config (dataset ${datasetName})`, description: 'A TRM.ts pipeline config: configs/<name>.json (JSONC). Written by `trm config-schema --write`.' };
}
