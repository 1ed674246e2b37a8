// `trm config-schema`: the JSON Schema of config files (configs/schema/<dataset>.schema.json, named by each config's
// `$schema` so that editors complete and check its keys), from the schema validation uses (config/schema.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configFileJsonSchema } from '../config/schema.ts';
import { builtinDatasets, resolveDataset } from '../registry.ts';

/** configs/schema/<dataset>.schema.json, relative to a config in configs/ as its `$schema` names it. */
export const schemaRef = (dataset: string): string => `./schema/${dataset}.schema.json`;

/** The JSON Schema of `dataset`'s config files, as the text written to disk. */
export async function configSchemaText(dataset: string, root: string): Promise<string> {
  return `${JSON.stringify(configFileJsonSchema(await resolveDataset(dataset, root), dataset), null, 2)}\n`;
}

/** Write configs/schema/<dataset>.schema.json for every built-in dataset; returns the files written. */
export async function writeConfigSchemas(configs: string, root: string): Promise<string[]> {
  const dir = path.join(configs, 'schema');
  fs.mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (const dataset of builtinDatasets()) {
    const file = path.join(dir, `${dataset}.schema.json`);
    fs.writeFileSync(file, await configSchemaText(dataset, root));
    files.push(file);
  }
  return files;
}
