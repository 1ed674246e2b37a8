// The `dataset-lib` generator as a pure function: template files in, files written to a Tree out.
// No Nx and no file system here, so that it runs the same under `nx g` and in tests.

/** The part of Nx's Tree the generator uses (Nx's own Tree satisfies it). */
export interface TreeLike {
  exists(path: string): boolean;
  read(path: string, encoding: 'utf-8'): string | null;
  write(path: string, content: string): void;
}

export interface DatasetLibOptions {
  name: string;
}

export interface TemplateVars {
  /** kebab-case, as given: `sort-digits` */
  name: string;
  /** camelCase identifier of the exported DatasetLib: `sortDigits` */
  propertyName: string;
}

export interface GenerateResult {
  /** files written or updated, sorted */
  files: string[];
  /** what to do next, printed by `nx g` */
  notes: string[];
}

/** Names already taken by the workspace's own projects and packages. */
const RESERVED = ['dataset', 'augment', 'tensor-core', 'tensor-node', 'trm', 'trm-config', 'trm-parallel', 'sudoku', 'maze', 'arc', 'pipeline', 'nx-plugin'];

export function normalizeOptions(options: DatasetLibOptions): TemplateVars {
  const name = String(options.name ?? '').trim();
  if (!/^[a-z][a-z0-9-]*$/.test(name) || name.endsWith('-')) {
    throw new Error(`dataset-lib: name ${JSON.stringify(options.name)} must be lower-case letters, digits and dashes, starting with a letter (e.g. sort-digits)`);
  }
  if (RESERVED.includes(name)) throw new Error(`dataset-lib: name "${name}" is taken (reserved: ${RESERVED.join(', ')})`);
  const propertyName = name.replace(/-([a-z0-9])/g, (_, ch: string) => ch.toUpperCase());
  return { name, propertyName };
}

/** Substitute `__name__` in paths and `{{name}}`/`{{propertyName}}` in contents; drop the `.template` suffix. */
export function renderTemplates(templates: Record<string, string>, vars: TemplateVars): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, content] of Object.entries(templates)) {
    if (!path.endsWith('.template')) throw new Error(`dataset-lib: template ${path} must end in .template`);
    const target = path.slice(0, -'.template'.length).replace(/__name__/g, vars.name);
    out[target] = content.replace(/\{\{(\w+)\}\}/g, (whole, key: string) => {
      if (!(key in vars)) throw new Error(`dataset-lib: template ${path} uses unknown variable ${whole}`);
      return vars[key as keyof TemplateVars];
    });
  }
  return out;
}

/**
 * Add `@trm/NAME` to the path aliases of tsconfig.base.json (the TypeScript view of the workspace). The entry is
 * inserted as text after the last alias, so the rest of the file keeps its layout; a file without a flat
 * `"paths": { ... }` block is rewritten as JSON.
 */
export function addTsconfigPath(text: string, vars: TemplateVars): string {
  const key = `@trm/${vars.name}`;
  const value = [`libs/${vars.name}/src/index.ts`];
  const json = JSON.parse(text) as { compilerOptions?: { paths?: Record<string, string[]> } };
  if (json.compilerOptions?.paths?.[key]) return text;
  const block = /("paths"\s*:\s*\{)([^{}]*?)(\n?)(\s*)\}/.exec(text);
  if (block && block[2].trim() !== '') {
    const indent = /\n(\s*)"/.exec(block[2])?.[1] ?? '  ';
    const body = `${block[2].replace(/\s*$/, '')},\n${indent}${JSON.stringify(key)}: ${JSON.stringify(value)}`;
    return text.slice(0, block.index) + block[1] + body + block[3] + block[4] + '}' + text.slice(block.index + block[0].length);
  }
  json.compilerOptions ??= {};
  json.compilerOptions.paths ??= {};
  json.compilerOptions.paths[key] = value;
  return `${JSON.stringify(json, null, 2)}\n`;
}

/** Add NAME to the `units` list of vitest.config.ts so that `npm test` runs the new lib's tests; null if not found. */
export function addVitestProject(text: string, vars: TemplateVars): string | null {
  const match = /const units = \[([^\]]*)\]/.exec(text);
  if (!match) return null;
  const names = match[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (names.includes(`'${vars.name}'`)) return text;
  const list = [...names, `'${vars.name}'`].join(', ');
  return text.slice(0, match.index) + `const units = [${list}]` + text.slice(match.index + match[0].length);
}

/** Write the new lib and its tiny config into `tree`; never overwrites an existing lib or config. */
export function generateDatasetLib(tree: TreeLike, options: DatasetLibOptions, templates: Record<string, string>): GenerateResult {
  const vars = normalizeOptions(options);
  const files = renderTemplates(templates, vars);
  for (const taken of [`libs/${vars.name}/package.json`, `libs/${vars.name}/project.json`, `configs/${vars.name}-tiny.json`]) {
    if (tree.exists(taken)) throw new Error(`dataset-lib: ${taken} already exists; choose another name`);
  }
  for (const [path, content] of Object.entries(files)) tree.write(path, content);
  const written = Object.keys(files);
  const notes = [`dataset-lib: wrote libs/${vars.name} and configs/${vars.name}-tiny.json`];

  const tsconfig = tree.read('tsconfig.base.json', 'utf-8');
  if (tsconfig !== null) {
    tree.write('tsconfig.base.json', addTsconfigPath(tsconfig, vars));
    written.push('tsconfig.base.json');
  }
  const vitest = tree.read('vitest.config.ts', 'utf-8');
  const updated = vitest === null ? null : addVitestProject(vitest, vars);
  if (updated !== null) {
    tree.write('vitest.config.ts', updated);
    written.push('vitest.config.ts');
  } else {
    notes.push(`dataset-lib: add a vitest project for libs/${vars.name} (no \`const units = [...]\` list found in vitest.config.ts)`);
  }
  notes.push(
    `next: npx vitest run --project ${vars.name}`,
    `      npm run trm -- report --config ${vars.name}-tiny   (fetch -> augment -> encode -> train -> evaluate -> report)`,
    `      npm install (once) links the package @trm/${vars.name}; the config names the lib by path, so it runs without it`,
  );
  return { files: written.sort(), notes };
}
