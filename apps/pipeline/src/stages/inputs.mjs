// What a stage's output depends on, found without running the stage: the source files of its code, the dataset lib a
// config names, and the fields a stage uses of a config and of every config it extends. The pipeline uses these
// for manifest keys (artifacts/hash.ts, registry.ts); the Nx plugin (tools/nx-plugin) uses the same functions for
// the targets' cache inputs, so that both agree on what a stage depends on. Plain JavaScript (types in
// inputs.d.mts) so that Nx loads it without tsx.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stageMayUse } from './declarations.mjs';

/** Extensions of source files: what a code hash covers (tests, dotfiles and node_modules are left out). */
export const SOURCE_EXTENSIONS = Object.freeze(['ts', 'mts', 'cts', 'js', 'mjs', 'cjs', 'json']);

export function isSourceFile(name) {
  if (name.startsWith('.') || /\.test\.[cm]?[tj]s$/.test(name)) return false;
  const ext = name.slice(name.lastIndexOf('.') + 1);
  return name.includes('.') && SOURCE_EXTENSIONS.includes(ext);
}

function walk(p, out) {
  let st;
  try {
    st = fs.statSync(p);
  } catch {
    return;
  }
  if (st.isFile()) {
    out.push(p);
    return;
  }
  if (!st.isDirectory()) return;
  for (const name of fs.readdirSync(p).sort()) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const child = path.join(p, name);
    if (fs.statSync(child).isDirectory()) walk(child, out);
    else if (isSourceFile(name)) out.push(child);
  }
}

/** The source files under `paths` (files or folders, relative to `root`), absolute, in a fixed order. */
export function sourceFiles(root, paths) {
  const out = [];
  for (const p of paths) walk(path.resolve(root, p), out);
  return out;
}

/** sha256 over the sources under `paths`: each file's path relative to `root`, then its bytes. */
export function sourcesHash(root, paths) {
  const h = createHash('sha256');
  for (const f of sourceFiles(root, paths)) {
    h.update(path.relative(root, f).split(path.sep).join('/'));
    h.update('\0');
    h.update(fs.readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex');
}

/** Nx input patterns that cover exactly the files `sourceFiles` lists under `paths` (each must exist in `root`). */
export function sourceGlobs(root, paths) {
  const out = [];
  const exts = `{${SOURCE_EXTENSIONS.join(',')}}`;
  for (const p of paths) {
    const rel = p.split(path.sep).join('/').replace(/\/$/, '');
    if (fs.existsSync(path.join(root, rel)) && fs.statSync(path.join(root, rel)).isDirectory()) {
      out.push(`{workspaceRoot}/${rel}/**/*.${exts}`, `!{workspaceRoot}/${rel}/**/*.test.{ts,mts,cts,js,mjs,cjs}`);
    } else {
      out.push(`{workspaceRoot}/${rel}`);
    }
  }
  return out;
}

/** The dataset libs a config can name by a short name: a workspace package and its sources. */
export const BUILTIN_DATASETS = Object.freeze({
  sudoku: { pkg: '@trm/sudoku', src: 'libs/sudoku/src' },
  maze: { pkg: '@trm/maze', src: 'libs/maze/src' },
  arc: { pkg: '@trm/arc', src: 'libs/arc/src' },
});

/** The folder of an installed package (symlinks followed), looked up in node_modules from `root` upwards. */
function packageDir(name, root) {
  for (let dir = path.resolve(root); ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'node_modules', ...name.split('/'));
    if (fs.existsSync(path.join(pkg, 'package.json'))) return fs.realpathSync(pkg);
    if (path.dirname(dir) === dir) return null;
  }
}

/**
 * Where the dataset lib a config names lives: a built-in short name, a path (starting with `.` or `/`, relative to
 * `root`) of the module exporting the lib, or an npm package name. `sources` are the folders whose sources make up
 * the lib (relative to `root`; `..` for a lib outside it). `import` is what the pipeline imports.
 */
export function locateDataset(name, root) {
  const known = BUILTIN_DATASETS[name];
  if (known) return { name, kind: 'builtin', import: known.pkg, sources: [known.src] };
  if (name.startsWith('.') || name.startsWith('/')) {
    const file = path.resolve(root, name);
    return { name, kind: 'path', import: file, sources: [path.relative(root, path.dirname(file)) || '.'] };
  }
  const dir = packageDir(name, root);
  return { name, kind: 'package', import: name, sources: dir ? [path.relative(root, dir)] : [] };
}

/**
 * JSON with comments (`//`, `/* *\/`) and trailing commas, as configs may be written. Returns undefined when the
 * text still does not parse (the pipeline's own loader then reports the error with its line and column).
 */
export function parseJsonc(text) {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const start = i;
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
      out += text.slice(start, i + 1);
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      out += '\n';
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
      out += ' ';
    } else out += c;
  }
  try {
    return JSON.parse(out.replace(/,(\s*[}\]])/g, '$1'));
  } catch {
    return undefined;
  }
}

/** configs/<name>.json, or the file itself when `name` ends in .json (relative to the working directory). */
export function configPath(name, dir) {
  return name.endsWith('.json') ? path.resolve(name) : path.join(dir, `${name}.json`);
}

/**
 * The config file and every config it extends, nearest first: each file's path and its parsed JSON (`text` instead
 * when it does not parse). Stops at a missing file or a cycle (the pipeline's loader reports those).
 */
export function configChain(name, dir) {
  const chain = [];
  let file = configPath(name, dir);
  while (file && !chain.some((c) => c.file === file) && fs.existsSync(file) && fs.statSync(file).isFile()) {
    const text = fs.readFileSync(file, 'utf8');
    const json = parseJsonc(text);
    const ok = !!json && typeof json === 'object' && !Array.isArray(json);
    chain.push(ok ? { file, json } : { file, json: {}, text });
    file = ok && typeof json.extends === 'string' ? configPath(json.extends, path.dirname(file)) : null;
  }
  return chain;
}

/** The `dataset` a config names after its extends chain (null when none does). */
export function chainDataset(chain) {
  for (const c of chain) if (typeof c.json.dataset === 'string') return c.json.dataset;
  return null;
}

/** The dataset a `--set dataset=...` override names, if any (the last one wins). */
export function datasetOverride(sets) {
  let v = null;
  for (const s of sets ?? []) if (s.startsWith('dataset=')) v = s.slice('dataset='.length);
  return v;
}

/** Installed version of a package, or null. */
function installedVersion(name, root) {
  const dir = packageDir(name, root);
  if (!dir) return null;
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version ?? null;
  } catch {
    return null;
  }
}

/**
 * Facts of this machine that decide a stage's output without being in any file of the repository: the number of
 * cores (the default of `runtime.workers`), the CPU (the native addon is built for it) and the optional native
 * TensorFlow packages (`runtime.backend: auto` picks them when installed).
 */
export function machineFacts(root) {
  return {
    cores: os.availableParallelism(),
    cpu: `${process.arch} ${os.cpus()[0]?.model ?? 'unknown'}`,
    tensorflow: Object.fromEntries(['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'].map((p) => [p, installedVersion(p, root)])),
  };
}

/** The artifacts folder: TRM_ARTIFACTS, else <root>/artifacts (as the pipeline's workspace.ts). */
export function artifactsRoot(root) {
  return process.env.TRM_ARTIFACTS ? path.resolve(process.env.TRM_ARTIFACTS) : path.join(root, 'artifacts');
}

/**
 * The sha256 of the file a stage's output was imported from (`trm import-checkpoint`: the manifest's lineage), or null
 * when the stage computed it (or has not run). Not a file Nx sees (artifacts/ is ignored), hence this.
 */
export function importedOutput(root, configName, stageName) {
  const config = path.basename(configName, '.json');
  try {
    const m = JSON.parse(fs.readFileSync(path.join(artifactsRoot(root), config, stageName, 'manifest.json'), 'utf8'));
    return typeof m?.lineage?.sha256 === 'string' ? m.lineage.sha256 : null;
  } catch {
    return null;
  }
}

/** Every imported stage output of every config (`config/stage:sha256`), for the stage-inputs target's runtime input. */
export function importedOutputs(root) {
  const dir = artifactsRoot(root);
  const out = [];
  for (const config of fs.existsSync(dir) ? fs.readdirSync(dir).sort() : []) {
    for (const stage of ['fetch', 'augment', 'encode', 'train', 'evaluate', 'report']) {
      const sha = importedOutput(root, config, stage);
      if (sha) out.push(`${config}/${stage}:${sha}`);
    }
  }
  return out;
}

/**
 * What a stage's output depends on through its config, as Nx hashes it for one config: for the config file and every
 * file it extends, the values of the keys the stage uses (plus `extends` and `dataset`, which every key records); the
 * dataset lib (where it is and a hash of its sources) when the stage runs it; and the machine facts when the stage
 * uses `runtime` or a tensor backend. Deterministic: no times, no absolute paths.
 */
export function stageInputs(stage, configName, opts) {
  const { root, configsDir, sets = [], machine = null } = opts;
  const chain = configChain(configName, configsDir);
  const may = stageMayUse(stage);
  const keys = ['extends', 'dataset', ...may.sections];
  const rel = (f) => path.relative(root, f).split(path.sep).join('/');
  const files = chain.map((c) => {
    const fields = {};
    for (const k of keys) if (c.json[k] !== undefined) fields[k] = c.json[k];
    return c.text === undefined ? { file: rel(c.file), fields } : { file: rel(c.file), text: c.text };
  });
  const out = { stage: stage.name, config: configName, files };
  if (may.dataset) {
    const name = datasetOverride(sets) ?? chainDataset(chain);
    if (name) {
      const lib = locateDataset(name, root);
      out.dataset = { name, kind: lib.kind, sources: lib.sources.map((s) => s.split(path.sep).join('/')), hash: sourcesHash(root, lib.sources) };
    }
  }
  if (machine && (stage.engine || may.sections.includes('runtime'))) out.machine = machine;
  // an output brought in by `trm import-checkpoint`: Nx must not restore a cached one over it
  const imported = importedOutput(root, configName, stage.name);
  if (imported) out.imported = imported;
  return out;
}
