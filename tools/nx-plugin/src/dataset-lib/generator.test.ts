import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { DatasetLib, ExamplePrediction, SourceIO } from '@trm/dataset';
import { addTsconfigPath, addVitestProject, generateDatasetLib, normalizeOptions, renderTemplates, type TreeLike } from './core.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../../../..');
const vars = { name: 'toy-sort', propertyName: 'toySort' };

function readTemplates(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const full = join(d, e.name);
      if (e.isDirectory()) walk(full);
      else out[relative(dir, full).split(sep).join('/')] = readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return out;
}
const templates = readTemplates(join(here, 'files'));

/** An in-memory Tree. */
function memoryTree(files: Record<string, string> = {}): TreeLike & { files: Record<string, string> } {
  return {
    files,
    exists: (p) => p in files,
    read: (p) => files[p] ?? null,
    write: (p, c) => void (files[p] = c),
  };
}

/** A Tree over a folder of the file system. */
function diskTree(root: string): TreeLike {
  return {
    exists: (p) => existsSync(join(root, p)),
    read: (p) => (existsSync(join(root, p)) ? readFileSync(join(root, p), 'utf8') : null),
    write: (p, c) => {
      mkdirSync(dirname(join(root, p)), { recursive: true });
      writeFileSync(join(root, p), c);
    },
  };
}

describe('dataset-lib generator core', () => {
  it('checks names', () => {
    expect(normalizeOptions({ name: 'sort-digits' })).toEqual({ name: 'sort-digits', propertyName: 'sortDigits' });
    expect(() => normalizeOptions({ name: 'Sort' })).toThrow(/lower-case letters, digits and dashes/);
    expect(() => normalizeOptions({ name: 'a b' })).toThrow(/lower-case/);
    expect(() => normalizeOptions({ name: 'maze' })).toThrow(/"maze" is taken/);
  });

  it('renders paths and contents and rejects unknown variables', () => {
    const out = renderTemplates({ 'libs/__name__/x.ts.template': "export const {{propertyName}} = '{{name}}';" }, vars);
    expect(out).toEqual({ 'libs/toy-sort/x.ts': "export const toySort = 'toy-sort';" });
    expect(() => renderTemplates({ 'a.template': '{{nope}}' }, vars)).toThrow(/unknown variable \{\{nope\}\}/);
    expect(() => renderTemplates({ 'a.ts': '' }, vars)).toThrow(/must end in .template/);
  });

  it('registers the lib in tsconfig paths and the vitest units list', () => {
    const ts = readFileSync(join(repoRoot, 'tsconfig.base.json'), 'utf8');
    const updated = addTsconfigPath(ts, vars);
    expect(JSON.parse(updated).compilerOptions.paths['@trm/toy-sort']).toEqual(['libs/toy-sort/src/index.ts']);
    expect(JSON.parse(updated).compilerOptions.paths['@trm/maze']).toEqual(['libs/maze/src/index.ts']);
    expect(addTsconfigPath(updated, vars)).toBe(updated);
    const vitest = "const units = ['a', 'b'].map((name) => name);";
    expect(addVitestProject(vitest, vars)).toBe("const units = ['a', 'b', 'toy-sort'].map((name) => name);");
    expect(addVitestProject("const units = ['toy-sort'];", vars)).toBe("const units = ['toy-sort'];");
    expect(addVitestProject('export default {};', vars)).toBeNull();
  });

  it('writes the lib and its config into a tree, and never over an existing lib', () => {
    const tree = memoryTree({ 'vitest.config.ts': "const units = ['maze'];" });
    const result = generateDatasetLib(tree, { name: 'toy-sort' }, templates);
    expect(result.files).toEqual([
      'configs/toy-sort-tiny.json',
      'libs/toy-sort/README.md',
      'libs/toy-sort/package.json',
      'libs/toy-sort/project.json',
      'libs/toy-sort/src/conformance.test.ts',
      'libs/toy-sort/src/index.ts',
      'libs/toy-sort/src/task.ts',
      'libs/toy-sort/src/toy-sort.test.ts',
      'libs/toy-sort/src/toy-sort.ts',
      'vitest.config.ts',
    ]);
    expect(JSON.parse(tree.files['libs/toy-sort/package.json']).name).toBe('@trm/toy-sort');
    expect(JSON.parse(tree.files['configs/toy-sort-tiny.json']).dataset).toBe('./libs/toy-sort/src/index.ts');
    expect(Object.values(tree.files).some((c) => c.includes('{{'))).toBe(false);
    expect(() => generateDatasetLib(tree, { name: 'toy-sort' }, templates)).toThrow(/libs\/toy-sort\/package.json already exists/);
  });
});

// The generator run into a temporary copy of the workspace (node_modules linked), then the scaffolded lib is
// checked three ways: its DatasetLib contract here, its own tests, and the pipeline (through evaluate) on its config.
describe('scaffolded lib in a copy of the workspace', () => {
  let root = '';
  let lib: DatasetLib;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'trm-dataset-lib-'));
    for (const f of ['package.json', 'tsconfig.base.json', 'vitest.config.ts', 'nx.json']) copyFileSync(join(repoRoot, f), join(root, f));
    symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
    mkdirSync(join(root, 'configs'));
    generateDatasetLib(diskTree(root), { name: 'toy-sort' }, templates);
    const mod = (await import(pathToFileURL(join(root, 'libs/toy-sort/src/index.ts')).href)) as Record<string, DatasetLib>;
    lib = mod.toySort;
  });

  afterAll(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('implements the DatasetLib contract: fetch -> augment -> encode -> decode -> evaluate', async () => {
    const io = { log() {}, progress: () => ({ tick() {}, done() {} }) } as unknown as SourceIO;
    const puzzles = await lib.fetch({ length: 6, train_count: 16, test_count: 4, seed: 1 }, io);
    expect(puzzles.map((p) => p.split)).toEqual([...Array(16).fill('train'), ...Array(4).fill('test')]);
    const groups = [...lib.augment(puzzles, { num_aug: 1 }, 0, 'train')];
    expect(groups).toHaveLength(16);
    const shape = lib.shape({ length: 6 });
    const preds: ExamplePrediction[] = [];
    for (const group of lib.augment(puzzles, {}, 0, 'test')) {
      for (const p of group) {
        const enc = lib.encode(p.examples[0], { length: 6 });
        expect(enc.inputs).toHaveLength(shape.seqLen);
        expect(Math.max(...enc.labels)).toBeLessThan(shape.vocabSize);
        expect(lib.decode(enc.labels, { length: 6 }).cells).toEqual(p.examples[0].output!.cells);
        preds.push({ index: preds.length, group: p.group, puzzleIdentifier: 0, inputs: enc.inputs, labels: enc.labels, preds: enc.labels, qHalt: 1 });
      }
    }
    expect(lib.evaluate(preds, {}, null).metrics.sorted_rate).toBe(1);
    const wrong = preds.map((p) => ({ ...p, preds: p.inputs.slice().reverse() }));
    expect(lib.evaluate(wrong, {}, null).metrics.sorted_rate).toBeLessThan(1);
  });

  const vitest = () => spawnSync(process.execPath, [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--project', 'toy-sort'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CI: '1', NO_COLOR: '1' },
  });

  it("passes its own tests (vitest project registered by the generator): the contract's 7 laws and 5 task examples", () => {
    const r = vitest();
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/conformance\.test\.ts \(7 tests\)/);
    expect(r.stdout).toMatch(/Tests\s+12 passed/);
  });

  it('keeps the conformance suite passing when the task changes (sort descending): only the task examples fail', () => {
    const task = join(root, 'libs/toy-sort/src/task.ts');
    const original = readFileSync(task, 'utf8');
    const changed = original.replace('grid.cells.slice().sort()', 'grid.cells.slice().sort().reverse()').replace('pred.cells[i] < pred.cells[i - 1]', 'pred.cells[i] > pred.cells[i - 1]');
    expect(changed).not.toBe(original);
    writeFileSync(task, changed);
    try {
      const r = vitest();
      expect(r.status).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/conformance\.test\.ts \(7 tests\)/);
      expect(r.stdout + r.stderr).not.toMatch(/FAIL .*conformance\.test\.ts/);
      expect(r.stdout + r.stderr).toMatch(/FAIL .*toy-sort\.test\.ts/);
    } finally {
      writeFileSync(task, original);
    }
  });

  it('runs through the pipeline (fetch -> augment -> encode -> train -> evaluate) with its tiny config', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'apps/pipeline/src/main.ts'), 'evaluate', '--config', 'toy-sort-tiny'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, TRM_ROOT: root, NO_COLOR: '1' },
    });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const stage = (name: string) => JSON.parse(readFileSync(join(root, `artifacts/toy-sort-tiny/${name}/manifest.json`), 'utf8'));
    expect(stage('encode').files['train.arrow'].rows).toBe(128); // 64 rows x (original + 1 shuffled copy)
    expect(stage('encode').files['test.arrow'].rows).toBe(16);
    expect(Object.keys(stage('train').files)).toContain('model.safetensors');
    const metrics = JSON.parse(readFileSync(join(root, 'artifacts/toy-sort-tiny/evaluate/metrics.json'), 'utf8'));
    expect(stage('evaluate').files['predictions.arrow'].rows).toBe(16);
    for (const key of ['exact_accuracy', 'token_accuracy']) {
      expect(metrics[key]).toBeGreaterThanOrEqual(0);
      expect(metrics[key]).toBeLessThanOrEqual(1);
    }
    expect(metrics.accuracy_per_step).toHaveLength(2); // halt_max_steps of the scaffolded config
  });
});
