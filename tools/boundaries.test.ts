// Architecture rules of docs/DESIGN.md, checked on every import of every source file:
// - libs never import apps;
// - dataset libs (sudoku, maze, arc and any lib tagged scope:dataset) import no @trm lib but @trm/dataset and
//   @trm/augment, and never node:fs / net / http(s) (I/O comes through SourceIO);
// - libs/trm imports neither node:fs nor nx;
// - nobody imports another lib's internals: only `@trm/<lib>` (its src/index.ts), never `@trm/<lib>/...` or a
//   relative path into another lib or app.
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

const isTestSupport = (file: string) => /\.test\.ts$|test-support|\/testing\/|\/parity\//.test(file);

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
      if (lib === 'trm' && !isTestSupport(file)) {
        if (core(FS).includes(spec)) problems.push(`${at}: libs/trm knows nothing of files`);
        if (spec === 'nx' || spec.startsWith('nx/') || spec.startsWith('@nx/')) problems.push(`${at}: libs/trm knows nothing of Nx`);
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

function datasetLibNames(): Set<string> {
  const names = new Set(['sudoku', 'maze', 'arc']);
  for (const name of fs.readdirSync(path.join(root, 'libs'))) {
    const pj = path.join(root, 'libs', name, 'project.json');
    if (fs.existsSync(pj) && (JSON.parse(fs.readFileSync(pj, 'utf8')).tags ?? []).includes('scope:dataset')) names.add(name);
  }
  return names;
}

describe('import boundaries', () => {
  it('hold for every source file of the repository', () => {
    const files = repoSources();
    expect(files.length).toBeGreaterThan(20);
    expect(checkBoundaries(files, datasetLibNames())).toEqual([]);
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
  });
});
