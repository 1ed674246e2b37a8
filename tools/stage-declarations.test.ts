// The stage declarations (apps/pipeline/src/stages/declarations.mjs) against what they describe: the code each stage
// really runs (its imports, followed), the Nx targets the plugin infers from them, the manifest keys and `trm status`.
// A file a stage imports that its declaration does not list (as stages/flops.ts once was for train) fails here.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { BACKEND, RUNNER, STAGES, type StageDeclaration } from '../apps/pipeline/src/stages/declarations.mjs';
import { CATALOG } from '../apps/pipeline/src/catalog/entries.mjs';
import { BUILTIN_DATASETS, locateDataset, sourceFiles, sourcesHash } from '../apps/pipeline/src/stages/inputs.mjs';
import { generateDatasetLib } from './nx-plugin/src/dataset-lib/core.ts';
import { SCHEMA_VERSION } from '../apps/pipeline/src/artifacts/manifest.ts';
import { loadConfig } from '../apps/pipeline/src/config/load.ts';
import { stageKey, stageStates, type StageContext } from '../apps/pipeline/src/stages/context.ts';
import { workspaceRoot } from '../apps/pipeline/src/workspace.ts';

process.env.TRM_QUIET = '1';
const root = workspaceRoot();
const rel = (f: string) => path.relative(root, f).split(path.sep).join('/');

const covered = (file: string, paths: readonly string[]) => paths.some((p) => rel(file) === p || rel(file).startsWith(`${p}/`));

/** Static runtime imports of a source file (type-only imports, comments and lazy `import()`s left out). */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8').replace(/(^|\s)\/\/.*$/gm, '$1').replace(/\/\*[\s\S]*?\*\//g, '');
  const out: string[] = [];
  const re = /(?:^|[\s;])(?:import|export)\s+(type\s+)?(?:[\w*{}\s,$]*?\s*from\s*)?['"]([^'"]+)['"]|\brequire\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(re)) if (!m[1]) out.push(m[2] ?? m[3]);
  return out;
}

/**
 * Every file reachable from `entry` by imports (workspace packages @trm/x through libs/x/src/index.ts), and the npm
 * packages they import; the imports of files under `stopAt` are not followed.
 */
function closure(entry: string, stopAt: string[] = []): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const todo = [path.join(root, entry)];
  while (todo.length) {
    const file = todo.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    if (covered(file, stopAt)) continue;
    for (const spec of importsOf(file)) {
      if (spec.startsWith('node:')) continue;
      if (spec.startsWith('.')) {
        const base = path.resolve(path.dirname(file), spec);
        const hit = [base, `${base}.ts`, path.join(base, 'index.ts')].find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
        if (!hit) throw new Error(`${rel(file)}: cannot resolve ${spec}`);
        todo.push(hit);
      } else if (spec.startsWith('@trm/')) {
        todo.push(path.join(root, 'libs', spec.slice('@trm/'.length), 'src', 'index.ts'));
      } else if (!createRequire(import.meta.url)('node:module').builtinModules.includes(spec)) {
        packages.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
      }
    }
  }
  return { files, packages };
}

/** Nx's glob patterns ({workspaceRoot}/a/**\/*.{ts,js}, !negations) as a matcher of repository paths. */
function globMatcher(patterns: string[]): (file: string) => boolean {
  const toRe = (g: string) => new RegExp(`^${g.replace('{workspaceRoot}/', '').replace(/[.+^$()|[\]\\]/g, '\\$&')
    .replace(/\{([^}]*)\}/g, (_, alts: string) => `(?:${alts.split(',').join('|')})`)
    .replace(/\*\*\//g, '\u0000').replace(/\*/g, '[^/]*').replace(/\u0000/g, '(?:.*/)?')}$`);
  const pos = patterns.filter((p) => !p.startsWith('!')).map(toRe);
  const neg = patterns.filter((p) => p.startsWith('!')).map((p) => toRe(p.slice(1)));
  return (f) => pos.some((r) => r.test(f)) && !neg.some((r) => r.test(f));
}

/** The files of the dataset-lib generator's templates, keyed by their path under files/. */
function generatorTemplates(): Record<string, string> {
  const dir = path.join(root, 'tools/nx-plugin/src/dataset-lib/files');
  return Object.fromEntries(sourceFilesAll(dir).map((f) => [path.relative(dir, f).split(path.sep).join('/'), fs.readFileSync(f, 'utf8')]));
}
function sourceFilesAll(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFilesAll(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

const tracked = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' }).split('\n').filter(Boolean).filter((f) => fs.existsSync(path.join(root, f)));

async function pluginTargets(): Promise<Record<string, { inputs: unknown[]; dependsOn: unknown[]; outputs: string[]; options: Record<string, unknown> }>> {
  const plugin = createRequire(import.meta.url)('./nx-plugin/src/plugin.cjs');
  const [pattern, createNodes] = plugin.createNodesV2;
  expect(pattern).toBe('apps/pipeline/project.json');
  const [[file, result]] = await createNodes(['apps/pipeline/project.json'], {}, { workspaceRoot: root, nxJsonConfiguration: {} });
  expect(file).toBe('apps/pipeline/project.json');
  return result.projects['apps/pipeline'].targets;
}

describe('stage declarations', () => {
  it('list every file and npm package their stage imports, and only packages it imports', () => {
    for (const s of STAGES) {
      const { files, packages } = closure(s.module);
      // the native addon's build script picks the backend key's kernel build: in BACKEND, hashed by Nx for engine stages
      const own = [...s.code, ...(s.engine ? BACKEND.code : [])];
      const missing = [...files].filter((f) => !covered(f, own) && !covered(f, RUNNER.code)).map(rel);
      expect(missing, `${s.name}: imported, not in its declared code`).toEqual([]);
      const undeclared = [...packages].filter((p) => !s.packages.includes(p) && !RUNNER.packages.includes(p));
      expect(undeclared, `${s.name}: npm packages imported, not declared`).toEqual([]);
      // a package loaded by name at run time (`await import(pkg)`) counts when its code names it
      const named = (p: string) => [...files].some((f) => fs.readFileSync(f, 'utf8').includes(`'${p}'`));
      expect(s.packages.filter((p) => !packages.has(p) && !named(p)), `${s.name}: declared packages it does not import`).toEqual([]);
      for (const c of s.code) expect(fs.existsSync(path.join(root, c)), `${s.name}: code ${c}`).toBe(true);
    }
    // the runner: main.ts and what it imports, without the stage modules (loaded by path when a stage runs) and without
    // what the other commands import (cli/*: hashed as files, not followed: registering `trm solve` cannot change a stage)
    const runner = closure('apps/pipeline/src/main.ts', ['apps/pipeline/src/cli']);
    const stageOnly = STAGES.flatMap((s) => [...closure(s.module).files]).filter((f) => !covered(f, RUNNER.code));
    expect([...runner.files].filter((f) => !covered(f, RUNNER.code) && !stageOnly.includes(f)).map(rel)).toEqual([]);
  });

  it('cover the code of every dataset lib their stage runs: the built-in ones and the generator\'s output', () => {
    // a lib the generator writes (nx g ./tools/nx-plugin:dataset-lib), in a temporary folder, named by path as a config would
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-decl-lib-'));
    const files: Record<string, string> = {};
    generateDatasetLib({ exists: (p) => p in files, read: () => null, write: (p, c) => void (files[p] = c) }, { name: 'toy-decl' }, generatorTemplates());
    for (const [p, c] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(tmp, p)), { recursive: true });
      fs.writeFileSync(path.join(tmp, p), c);
    }
    const libs = [...Object.keys(BUILTIN_DATASETS), path.join(tmp, 'libs/toy-decl/src/index.ts')].map((name) => locateDataset(name, root));
    try {
      for (const lib of libs) {
        const entry = lib.kind === 'builtin' ? path.join(lib.sources[0], 'index.ts') : path.relative(root, lib.import);
        const { files: imported, packages } = closure(entry);
        expect(imported.size, `${lib.name}: its imports`).toBeGreaterThan(1);
        for (const s of STAGES.filter((x) => x.dataset)) {
          const missing = [...imported].filter((f) => !covered(f, [...s.code, ...lib.sources, ...RUNNER.code])).map(rel);
          expect(missing, `${s.name} runs ${lib.name}: imported, not in the stage's code or the lib's sources`).toEqual([]);
          const undeclared = [...packages].filter((p) => !s.packages.includes(p) && !RUNNER.packages.includes(p));
          expect(undeclared, `${s.name} runs ${lib.name}: npm packages imported, not declared`).toEqual([]);
        }
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('name catalog entries that exist, read only from their upstream stages, and write only their own folder', () => {
    expect(STAGES.map((s) => s.name)).toEqual(['fetch', 'augment', 'encode', 'train', 'evaluate', 'report']);
    for (const s of STAGES) {
      for (const id of [...s.reads, ...s.writes]) expect(CATALOG[id], `${s.name}: catalog entry ${id}`).toBeDefined();
      for (const id of s.reads) expect(s.upstream, `${s.name} reads ${id}`).toContain(CATALOG[id].stage);
      for (const id of s.writes) expect(CATALOG[id].stage).toBe(s.name);
      for (const u of s.upstream) expect(STAGES.indexOf(STAGES.find((x) => x.name === u)!)).toBeLessThan(STAGES.indexOf(s));
    }
    expect(Object.keys(CATALOG).filter((id) => !STAGES.some((s) => s.writes.includes(id)))).toEqual([]);
  });

  it('leave file names to the catalog: no stage source spells an artifact or checkpoint file name', async () => {
    const { CHECKPOINT_FILES, BEST_FILES, EVAL_BATCHES_FILE } = await import('../apps/pipeline/src/catalog/checkpoints.ts');
    const names = [...new Set([
      ...Object.values(CATALOG).map((e) => e.path.split('/').at(-1)!).filter((n) => n && !n.includes('*') && !n.includes('<')),
      ...Object.values(CHECKPOINT_FILES), BEST_FILES.model, BEST_FILES.info, EVAL_BATCHES_FILE,
    ])];
    expect(names).toEqual(expect.arrayContaining(['model.safetensors', 'state.json', 'metrics.arrow', 'metrics.json', 'aux.json', 'test.arrow', 'best.json']));
    const escape = (n: string) => n.replace(/[.+^$()|[\]\\*?{}]/g, '\\$&');
    const named = new RegExp(`(?:^|[^\\w.-])(?:${names.map(escape).join('|')})(?![\\w.-])|\\.(?:arrow|safetensors)(?![\\w.-])`);
    const dir = path.join(root, 'apps/pipeline/src/stages');
    const sources = fs.readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(sources).toEqual(expect.arrayContaining(['train.ts', 'evaluate.ts', 'train-runs.ts', 'train-watch.ts', 'evaluate-batches.ts']));
    const spelled: string[] = [];
    for (const f of sources) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
      for (const m of text.matchAll(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"|`(?:[^`\\]|\\.)*`/g)) {
        if (named.test(m[0].slice(1, -1))) spelled.push(`${f}: ${m[0].slice(0, 80)}`);
      }
    }
    expect(spelled, 'file names spelled in stages/*.ts instead of catalog/entries.mjs or catalog/checkpoints.ts').toEqual([]);
    // the check itself: a name is found as a file name, not as a word of a message
    expect([named.test('state.json'), named.test('best/model.safetensors'), named.test('x.arrow'), named.test('the state of the model')]).toEqual([true, true, true, false]);
  });

  it('are what the Nx plugin infers: dependsOn, outputs, the files and packages each target hashes', async () => {
    const targets = await pluginTargets();
    expect(Object.keys(targets).sort()).toEqual(['stage-inputs', ...STAGES.map((s) => s.name)].sort());
    const executorFiles = ['tools/nx-plugin/src/executors/stage.cjs', 'tools/nx-plugin/src/pipeline.cjs'];
    for (const s of STAGES) {
      const t = targets[s.name];
      expect(t.options).toMatchObject({ stage: s.name });
      expect(t.dependsOn).toEqual([{ target: 'stage-inputs', params: 'forward' }, ...s.upstream.map((u) => ({ target: u, params: 'forward' }))]);
      expect(t.outputs).toEqual([`{workspaceRoot}/artifacts/{options.config}/${s.name}`]);
      const globs = t.inputs.filter((i): i is string => typeof i === 'string');
      const hashed = tracked.filter(globMatcher(globs)).sort();
      const expected = sourceFiles(root, [...s.code, ...RUNNER.code, ...executorFiles]).map(rel).filter((f) => tracked.includes(f));
      const backend = s.engine ? tracked.filter(globMatcher(BACKEND.code.map((c) => `{workspaceRoot}/${c}`))) : [];
      expect(hashed, `${s.name}: files Nx hashes`).toEqual([...new Set([...expected, ...backend])].sort());
      const objects = t.inputs.filter((i) => typeof i === 'object') as Record<string, unknown>[];
      expect(objects).toContainEqual({ dependentTasksOutputFiles: `**/${s.name}.inputs.json`, transitive: false });
      if (s.upstream.length) expect(objects).toContainEqual({ dependentTasksOutputFiles: '**/manifest.json', transitive: false });
      expect((objects.find((o) => o.externalDependencies)!.externalDependencies as string[]).sort()).toEqual([...new Set([...s.packages, ...RUNNER.packages])].sort());
      expect(objects.filter((o) => o.env).map((o) => o.env)).toEqual(s.engine ? BACKEND.env : []);
    }
  });

  it('decide the manifest key and the order and upstream of trm status', async () => {
    const artifacts = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-decl-'));
    const { config, dataset } = await loadConfig('sudoku-tiny', { dir: path.join(root, 'configs'), root });
    const ctx: StageContext = { config, dataset, root, artifacts };
    expect((await stageStates(ctx)).map((s) => [s.stage, s.state])).toEqual(STAGES.map((s) => [s.name, 'missing']));
    for (const s of STAGES) {
      const dir = path.join(artifacts, 'sudoku-tiny', s.name);
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ kind: `trm.${s.name}`, schemaVersion: SCHEMA_VERSION, stage: s.name, config: 'sudoku-tiny', files: {} }));
    }
    const sections = (d: StageDeclaration) => Object.fromEntries(d.sections.map((k) => [k, (config as unknown as Record<string, unknown>)[k]]));
    for (const s of STAGES) {
      const key = await stageKey(ctx, s.name);
      expect(Object.keys(key.inputs), s.name).toEqual([...s.upstream]);
      expect(key.code, s.name).toBe(sourcesHash(root, [...s.code, ...(s.dataset ? dataset.sources : [])]));
      expect(key.backend === null, s.name).toBe(!s.engine);
      expect(Object.keys(sections(s)).sort()).toEqual([...s.sections].sort());
    }
    fs.rmSync(artifacts, { recursive: true, force: true });
  });
});
