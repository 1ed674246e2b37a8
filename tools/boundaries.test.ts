// Architecture rules of docs/DESIGN.md, checked on every import of every source file:
// - libs never import apps;
// - dataset libs (sudoku, maze, arc and any lib tagged scope:dataset) import no @trm lib but @trm/dataset and
//   @trm/augment, and never node:fs / net / http(s) (I/O comes through SourceIO);
// - libs/trm imports neither node:fs nor nx;
// - the engine libs import only their declared packages (ENGINE_IMPORTS): tensor-core tfjs-core alone, trm-config zod
//   alone, trm tfjs-core and the @trm libs tensor-core, augment and trm-config;
// - nobody imports another lib's internals: only `@trm/<lib>` (its src/index.ts), never `@trm/<lib>/...` or a
//   relative path into another lib or app;
// - browser-safe libs (every lib not tagged `platform:node` in its project.json: tensor-core, trm, the dataset libs,
//   ...) reach nothing of Node from their src/index.ts, following imports transitively through their own files and
//   the @trm libs they use: no Node built-in module, no Node-only package (esbuild, tsx, tfjs-node), no Node-only
//   lib, and no use of Node's `process`, `require`, `__dirname` or `Buffer` globals. A bundler (Vite) can then build
//   the model for a browser.
import { builtinModules } from 'node:module';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface SourceFile {
  /** repo-relative, forward slashes */
  file: string;
  text: string;
}

interface Import { spec: string; line: number }

const FS = ['fs', 'fs/promises'];
const NET = ['net', 'http', 'https', 'http2', 'tls', 'dgram'];
const core = (names: string[]) => names.flatMap((n) => [n, `node:${n}`]);

function stripComments(text: string): string {
  // keeps line breaks so line numbers stay right; good enough for import scanning
  return text.replace(/\/\*[\s\S]*?\*\//g, (m) => m.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

export function importsOf(text: string): Import[] {
  const src = stripComments(text);
  const out: Import[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) {
    for (const m of src.matchAll(re)) out.push({ spec: m[1], line: src.slice(0, m.index).split('\n').length });
  }
  return out;
}

/** `libs/<name>` or `apps/<name>` of a repo-relative path, or null. */
function projectOf(file: string): string | null {
  const m = /^(libs|apps)\/([^/]+)\//.exec(file);
  return m ? `${m[1]}/${m[2]}` : null;
}

const isTestSupport = (file: string) => /\.test\.ts$|test-support|test-util\.ts$|\/testing\/|\/parity\//.test(file);

/** The packages (and their subpaths) each engine lib may import, outside its tests. */
export const ENGINE_IMPORTS: Record<string, string[]> = {
  'tensor-core': ['@tensorflow/tfjs-core'],
  'trm-config': ['zod'],
  trm: ['@tensorflow/tfjs-core', '@trm/tensor-core', '@trm/augment', '@trm/trm-config'],
};

export function checkBoundaries(files: SourceFile[], datasetLibs: Set<string>): string[] {
  const problems: string[] = [];
  for (const { file, text } of files) {
    const project = projectOf(file);
    if (!project) continue;
    const isLib = project.startsWith('libs/');
    const lib = isLib ? project.slice(5) : null;
    for (const { spec, line } of importsOf(text)) {
      const at = `${file}:${line} imports '${spec}'`;
      let target: string | null = null;
      if (spec.startsWith('.')) target = projectOf(path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)) + (spec.endsWith('/') ? '' : ''));
      const scoped = /^@trm\/([^/]+)(\/.*)?$/.exec(spec);

      if (isLib && (scoped?.[1] === 'pipeline' || (target && target.startsWith('apps/')))) problems.push(`${at}: a lib must not import an app`);
      if (scoped?.[2]) problems.push(`${at}: import @trm/${scoped[1]} (its src/index.ts), not its internals`);
      if (spec.startsWith('.') && target !== project) problems.push(`${at}: relative import reaches outside ${project}; use the package name @trm/<lib>`);
      if (lib && datasetLibs.has(lib) && !isTestSupport(file)) {
        if (scoped && !['dataset', 'augment'].includes(scoped[1])) problems.push(`${at}: dataset lib ${lib} may import only @trm/dataset and @trm/augment`);
        if (core([...FS, ...NET]).includes(spec)) problems.push(`${at}: dataset lib ${lib} must not touch files or the network (use SourceIO)`);
      }
      const allowed = lib ? ENGINE_IMPORTS[lib] : undefined;
      if (allowed && !spec.startsWith('.') && !isTestSupport(file) && !allowed.some((p) => spec === p || spec.startsWith(`${p}/`))) {
        problems.push(`${at}: libs/${lib} may import only ${allowed.join(', ')} (docs/DESIGN.md)`);
      }
      if (lib === 'trm' && !isTestSupport(file)) {
        if (core(FS).includes(spec)) problems.push(`${at}: libs/trm knows nothing of files`);
        if (spec === 'nx' || spec.startsWith('nx/') || spec.startsWith('@nx/')) problems.push(`${at}: libs/trm knows nothing of Nx`);
      }
    }
  }
  return problems;
}

const NODE_BUILTINS = new Set(builtinModules.flatMap((n) => [n, `node:${n}`]));
const NODE_ONLY_PACKAGES = ['esbuild', 'tsx', '@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'];
const NODE_GLOBALS = /\b(process\.|require\s*\(|__dirname\b|__filename\b|Buffer\.)/;

/** What a bare specifier is, for the browser-safety check: a Node built-in, a Node-only package, or neither. */
function nodeOnlyPackage(spec: string): string | null {
  if (NODE_BUILTINS.has(spec) || spec.startsWith('node:')) return 'a Node built-in module';
  if (NODE_ONLY_PACKAGES.some((p) => spec === p || spec.startsWith(`${p}/`))) return 'a Node-only package';
  return null;
}

/**
 * Browser-safety of `libs`: from each lib's src/index.ts, every file reached through relative imports and @trm lib
 * imports. `nodeLibs` are the libs tagged platform:node; `files` maps repo-relative paths to their text. Returns one
 * problem per offending import or global, with the chain of files that reaches it.
 */
export function checkBrowserSafe(files: Map<string, string>, libs: string[], nodeLibs: Set<string>, entryOf = (lib: string) => `libs/${lib}/src/index.ts`): string[] {
  const problems: string[] = [];
  for (const lib of libs) {
    const entry = entryOf(lib);
    if (!files.has(entry)) continue;
    const via = new Map<string, string | null>([[entry, null]]);
    const queue = [entry];
    const chain = (file: string): string => {
      const parts: string[] = [];
      for (let f: string | null = file; f; f = via.get(f) ?? null) parts.unshift(f);
      return parts.join(' -> ');
    };
    while (queue.length) {
      const file = queue.shift()!;
      const text = files.get(file)!;
      const code = stripComments(text).replace(/(['"`])(?:\\.|(?!\1)[^\\\n])*\1/g, '""');
      const global = NODE_GLOBALS.exec(code);
      if (global) problems.push(`${chain(file)}: browser-safe lib ${lib} reaches Node's global \`${global[1].replace(/[.(\s]+$/, '')}\``);
      for (const { spec } of importsOf(text)) {
        let target: string | null = null;
        const scoped = /^@trm\/([^/]+)$/.exec(spec);
        if (spec.startsWith('.')) {
          target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
        } else if (scoped) {
          if (nodeLibs.has(scoped[1])) {
            problems.push(`${chain(file)} imports '${spec}': browser-safe lib ${lib} reaches the Node-only lib ${scoped[1]}`);
            continue;
          }
          target = `libs/${scoped[1]}/src/index.ts`;
        } else {
          const what = nodeOnlyPackage(spec);
          if (what) problems.push(`${chain(file)} imports '${spec}': browser-safe lib ${lib} reaches ${what}`);
          continue;
        }
        if (!files.has(target)) {
          problems.push(`${chain(file)} imports '${spec}': no such source file ${target}`);
          continue;
        }
        if (!via.has(target)) {
          via.set(target, file);
          queue.push(target);
        }
      }
    }
  }
  return problems;
}

function walk(dir: string, out: string[]): void {
  if (!fs.existsSync(dir)) return;
  for (const name of fs.readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = path.join(dir, name);
    if (fs.statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|mts|js|mjs)$/.test(name)) out.push(p);
  }
}

/** Sources under libs/ and apps/: the files git tracks (so scratch files of work in progress do not count), or all files without git. */
function repoSources(): SourceFile[] {
  let files: string[];
  const git = spawnSync('git', ['ls-files', '-z', '--', 'libs', 'apps'], { cwd: root, encoding: 'utf8' });
  if (git.status === 0 && git.stdout.length > 0) {
    files = git.stdout.split('\0').filter((f) => /\.(ts|mts|js|mjs)$/.test(f) && fs.existsSync(path.join(root, f))).map((f) => path.join(root, f));
  } else {
    files = [];
    for (const top of ['libs', 'apps']) for (const name of fs.existsSync(path.join(root, top)) ? fs.readdirSync(path.join(root, top)) : []) walk(path.join(root, top, name), files);
  }
  return files.map((f) => ({ file: path.relative(root, f).split(path.sep).join('/'), text: fs.readFileSync(f, 'utf8') }));
}

function libTags(): Map<string, string[]> {
  const tags = new Map<string, string[]>();
  for (const name of fs.readdirSync(path.join(root, 'libs'))) {
    const pj = path.join(root, 'libs', name, 'project.json');
    if (fs.existsSync(pj)) tags.set(name, JSON.parse(fs.readFileSync(pj, 'utf8')).tags ?? []);
  }
  return tags;
}

function datasetLibNames(): Set<string> {
  const names = new Set(['sudoku', 'maze', 'arc']);
  for (const [name, tags] of libTags()) if (tags.includes('scope:dataset')) names.add(name);
  return names;
}

describe('import boundaries', () => {
  it('hold for every source file of the repository', () => {
    const files = repoSources();
    expect(files.length).toBeGreaterThan(20);
    expect(checkBoundaries(files, datasetLibNames())).toEqual([]);
  });

  it('browser-safe libs (tensor-core and trm among them) reach nothing of Node, transitively', () => {
    const tags = libTags();
    const nodeLibs = new Set([...tags].filter(([, t]) => t.includes('platform:node')).map(([name]) => name));
    const browserLibs = [...tags.keys()].filter((name) => !nodeLibs.has(name));
    expect(browserLibs).toEqual(expect.arrayContaining(['tensor-core', 'trm', 'augment', 'dataset', 'sudoku', 'maze', 'arc']));
    expect([...nodeLibs]).toEqual(expect.arrayContaining(['tensor-node', 'trm-parallel']));
    const files = new Map(repoSources().map((f) => [f.file, f.text]));
    expect(checkBrowserSafe(files, browserLibs, nodeLibs)).toEqual([]);
  });

  it('the web app (apps/web, bundled for the browser) reaches nothing of Node from its entry, transitively', () => {
    const nodeLibs = new Set([...libTags()].filter(([, t]) => t.includes('platform:node')).map(([name]) => name));
    const files = new Map(repoSources().map((f) => [f.file, f.text]));
    expect(files.has('apps/web/src/main.ts')).toBe(true);
    expect(checkBrowserSafe(files, ['web'], nodeLibs, () => 'apps/web/src/main.ts')).toEqual([]);
  });

  it('the browser-safety checker follows imports through files and libs and names the chain', () => {
    const files = new Map<string, string>([
      ['libs/core/src/index.ts', "export { a } from './a.ts';\nexport { b } from './b.ts';"],
      ['libs/core/src/a.ts', "import { c } from './deep/c.ts';\nexport const a = c;"],
      ['libs/core/src/deep/c.ts', "import { readFileSync } from 'node:fs';\nexport const c = 1;"],
      ['libs/core/src/b.ts', "// process.env in a comment is fine, and so is 'process.exit' in a string\nexport const b = process.env.X;"],
      ['libs/model/src/index.ts', "import { a } from '@trm/core';\nimport { run } from '@trm/node-side';\nimport * as esbuild from 'esbuild';\nexport const m = a;"],
      ['libs/node-side/src/index.ts', "import { Worker } from 'node:worker_threads';"],
      ['libs/clean/src/index.ts', "import * as tf from '@tensorflow/tfjs-core';\nexport const note = 'process.env';"],
    ]);
    const problems = checkBrowserSafe(files, ['core', 'model', 'clean'], new Set(['node-side']));
    expect(problems).toContain("libs/core/src/index.ts -> libs/core/src/a.ts -> libs/core/src/deep/c.ts imports 'node:fs': browser-safe lib core reaches a Node built-in module");
    expect(problems).toContain("libs/core/src/index.ts -> libs/core/src/b.ts: browser-safe lib core reaches Node's global `process`");
    expect(problems).toContain("libs/model/src/index.ts imports '@trm/node-side': browser-safe lib model reaches the Node-only lib node-side");
    expect(problems).toContain("libs/model/src/index.ts imports 'esbuild': browser-safe lib model reaches a Node-only package");
    // through @trm/core, model reaches core's violations too
    expect(problems.some((p) => p.startsWith('libs/model/src/index.ts -> libs/core/src/index.ts -> libs/core/src/a.ts'))).toBe(true);
    expect(problems.filter((p) => p.includes('lib clean'))).toEqual([]);
  });

  it('the checker catches each kind of violation', () => {
    const bad: SourceFile[] = [
      { file: 'libs/augment/src/a.ts', text: "import { x } from '../../../apps/pipeline/src/main.ts';" },
      { file: 'libs/dataset/src/b.ts', text: "import { y } from '@trm/pipeline';" },
      { file: 'libs/sudoku/src/c.ts', text: "import * as tf from '@trm/tensor-core';\nimport { m } from '@trm/trm';" },
      { file: 'libs/maze/src/d.ts', text: "import { readFileSync } from 'node:fs';\nconst h = await import('node:https');" },
      { file: 'libs/extra/src/e.ts', text: "import * as net from 'net';" },
      { file: 'libs/trm/src/f.ts', text: "import fs from 'fs/promises';\nimport { readJson } from 'nx/src/devkit';" },
      { file: 'apps/pipeline/src/g.ts', text: "import { solve } from '@trm/sudoku/src/solver.ts';\nexport { z } from '../../../libs/arc/src/lib.ts';" },
      { file: 'libs/arc/src/ok.ts', text: "// import fs from 'node:fs';\nimport { Grid } from '@trm/dataset';\nimport { rng } from './rng.ts';" },
      { file: 'libs/arc/src/lib.test.ts', text: "import * as fs from 'node:fs';" },
      { file: 'libs/tensor-core/src/h.ts', text: "import * as tf from '@tensorflow/tfjs-core';\nimport { Worker } from 'node:worker_threads';" },
      { file: 'libs/trm-config/src/i.ts', text: "import { z } from 'zod';\nimport { rng } from '@trm/augment';" },
      { file: 'libs/trm/src/j.ts', text: "import '@tensorflow/tfjs-core/dist/register_all_gradients';\nimport { createTrainer } from '@trm/trm-parallel';\nimport { z } from 'zod';" },
      { file: 'libs/trm/src/j.test.ts', text: "import { initBackend } from '@trm/tensor-node';" },
    ];
    const problems = checkBoundaries(bad, new Set(['sudoku', 'maze', 'arc', 'extra']));
    const has = (file: string, what: string) => problems.some((p) => p.startsWith(file) && p.includes(what));
    expect(has('libs/augment/src/a.ts:1', 'a lib must not import an app')).toBe(true);
    expect(has('libs/dataset/src/b.ts:1', 'a lib must not import an app')).toBe(true);
    expect(has('libs/sudoku/src/c.ts:1', 'may import only @trm/dataset and @trm/augment')).toBe(true);
    expect(has('libs/sudoku/src/c.ts:2', 'may import only @trm/dataset and @trm/augment')).toBe(true);
    expect(has('libs/maze/src/d.ts:1', 'must not touch files or the network')).toBe(true);
    expect(has('libs/maze/src/d.ts:2', 'must not touch files or the network')).toBe(true);
    expect(has('libs/extra/src/e.ts:1', 'must not touch files or the network')).toBe(true);
    expect(has('libs/trm/src/f.ts:1', 'libs/trm knows nothing of files')).toBe(true);
    expect(has('libs/trm/src/f.ts:2', 'libs/trm knows nothing of Nx')).toBe(true);
    expect(has('apps/pipeline/src/g.ts:1', 'not its internals')).toBe(true);
    expect(has('apps/pipeline/src/g.ts:2', 'relative import reaches outside apps/pipeline')).toBe(true);
    expect(problems.filter((p) => p.startsWith('libs/arc/'))).toEqual([]);
    expect(has('libs/tensor-core/src/h.ts:2', 'libs/tensor-core may import only @tensorflow/tfjs-core')).toBe(true);
    expect(has('libs/trm-config/src/i.ts:2', 'libs/trm-config may import only zod')).toBe(true);
    expect(has('libs/trm/src/j.ts:2', 'libs/trm may import only')).toBe(true);
    expect(has('libs/trm/src/j.ts:3', 'libs/trm may import only')).toBe(true);
    expect(problems.filter((p) => /^libs\/(tensor-core\/src\/h\.ts|trm-config\/src\/i\.ts|trm\/src\/j\.ts):1 /.test(p))).toEqual([]);
    expect(problems.filter((p) => p.startsWith('libs/trm/src/j.test.ts'))).toEqual([]);
  });
});
