// The DatasetLib contract's laws as checks any dataset lib runs in its own tests:
//
//   import { describe, it } from 'vitest';
//   import { datasetLaws } from '@trm/dataset';
//   describe('my-task: DatasetLib laws', () => {
//     for (const law of datasetLaws(myTask, { fetch: { ... }, augment: { ... }, encode: { ... } })) it(law.name, law.check);
//   });
//
// Each check throws an Error saying what broke and where (no test framework needed). The laws: fetch and augment
// are deterministic under a seed; augment keeps the original first and `inverse` undoes every copy's transform;
// decode(encode(x)) = x and encodings fit the shape; blank cells and PAD are distinct tokens; renderText/renderSvg
// draw every grid; evaluate's rates lie in [0, 1] and the labels themselves score 1.
import { isRateMetric } from './metrics.ts';
import type { AugmentedPuzzle, DatasetLib, ExamplePrediction, Grid, RawPuzzle, SourceIO } from './contract.ts';

export interface ConformanceCase {
  /** small sections: the check runs fetch, augment and encode on them several times */
  fetch: Record<string, unknown>;
  augment: Record<string, unknown>;
  encode: Record<string, unknown>;
  evaluate?: Record<string, unknown>;
  seed?: number;
  /** file access for sources that read files (default: none; the generator needs none) */
  io?: SourceIO;
}

export interface Law {
  name: string;
  check(): Promise<void>;
}


/** A SourceIO without files or network, for generator sources. */
export function noFilesIO(): SourceIO {
  const none = (what: string) => () => { throw new Error(`conformance: this case has no ${what}; pass \`io\` in the case`); };
  return {
    download: async (url) => none(`network (download ${url})`)(),
    readText: async (p) => none(`files (${p})`)(),
    readBytes: async (p) => none(`files (${p})`)(),
    readLines: (p) => (async function* () { yield none(`files (${p})`)(); })(),
    listDir: async (p) => none(`files (${p})`)(),
    exists: async () => false,
    join: (...parts) => parts.join('/'),
    progress: () => ({ tick() {}, done() {} }),
    log: () => {},
  };
}

function fail(lib: DatasetLib, message: string): never {
  throw new Error(`${lib.name}: ${message}`);
}

const sameGrid = (a: Grid | null, b: Grid | null) =>
  a === b || (!!a && !!b && a.rows === b.rows && a.cols === b.cols && a.cells.length === b.cells.length && a.cells.every((v, i) => v === b.cells[i]));
const show = (g: Grid | null) => (g ? `${g.rows}x${g.cols} [${Array.from(g.cells.subarray(0, 12)).join(',')}${g.cells.length > 12 ? ',...' : ''}]` : 'null');
const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x) => (x instanceof Uint8Array ? Array.from(x) : x)));

export function datasetLaws(lib: DatasetLib, c: ConformanceCase): Law[] {
  const io = c.io ?? noFilesIO();
  const seed = c.seed ?? 0;
  const fetchCfg = { seed, ...c.fetch };
  let fetched: Promise<RawPuzzle[]> | null = null;
  const puzzles = () => (fetched ??= lib.fetch(fetchCfg, io).then((p) => {
    if (!p.some((x) => x.split === 'train') || !p.some((x) => x.split === 'test')) fail(lib, 'the conformance case must give puzzles in both splits');
    return p;
  }));
  const groups = async (split: 'train' | 'test', s = seed) => [...lib.augment(await puzzles(), c.augment, s, split)];
  const examplesOf = async () => (await Promise.all((['train', 'test'] as const).map((s) => groups(s)))).flat(2).flatMap((p) => p.examples.map((ex, i) => ({ p, ex, i })));

  return [
    {
      name: 'fetch is deterministic under a seed, ids are unique per split',
      async check() {
        const a = await lib.fetch(fetchCfg, io);
        const b = await lib.fetch(fetchCfg, io);
        if (JSON.stringify(plain(a)) !== JSON.stringify(plain(b))) fail(lib, 'fetch gave different puzzles for the same config and seed');
        const ids = new Set<string>();
        for (const p of a) {
          if (ids.has(`${p.split}/${p.id}`)) fail(lib, `fetch: puzzle id ${p.id} twice in split ${p.split}`);
          ids.add(`${p.split}/${p.id}`);
        }
      },
    },
    {
      name: 'augment keeps the original first, groups dense and in order, deterministic under a seed',
      async check() {
        const all = await puzzles();
        for (const split of ['train', 'test'] as const) {
          const own = all.filter((p) => p.split === split);
          const gs = await groups(split);
          if (JSON.stringify(plain(gs)) !== JSON.stringify(plain(await groups(split)))) fail(lib, `augment(${split}) differs between two runs with the same seed`);
          if (gs.length !== own.length) fail(lib, `augment(${split}) yielded ${gs.length} groups for ${own.length} puzzles`);
          gs.forEach((g, k) => {
            if (!g.length) fail(lib, `augment(${split}) group ${k} is empty`);
            g.forEach((p, j) => {
              if (p.group !== k || p.split !== split) fail(lib, `augment(${split}) group ${k} copy ${j}: group ${p.group}, split ${p.split}`);
              if (p.augIndex !== j) fail(lib, `augment(${split}) group ${k}: copy ${j} has augIndex ${p.augIndex}`);
            });
            const original = g[0];
            const source = own[k];
            // the original: the same examples as fetched (ARC's test-split copies keep the test pairs only)
            const kept = source.examples.filter((ex) => original.examples.some((o) => sameGrid(o.input, ex.input)));
            if (!kept.length || kept.length !== original.examples.length) fail(lib, `augment(${split}) group ${k}: the first copy is not the original puzzle ${source.id}`);
            original.examples.forEach((ex, i) => {
              if (!sameGrid(ex.input, kept[i].input) || !sameGrid(ex.output, kept[i].output)) fail(lib, `augment(${split}) group ${k}: example ${i} of the first copy differs from the original (${show(ex.input)} vs ${show(kept[i].input)})`);
            });
          });
        }
      },
    },
    {
      name: 'inverse undoes the transform of every augmented copy',
      async check() {
        for (const split of ['train', 'test'] as const) {
          for (const g of await groups(split)) {
            const original = g[0];
            for (const copy of g) {
              copy.examples.forEach((ex, i) => {
                const target = original.examples[i]?.output ?? null;
                if (!ex.output || !target) return;
                const back = lib.inverse(ex.output, copy.transform);
                // ARC translation moves grids inside the canvas; inverse works on the grid itself
                if (!sameGrid(back, target)) fail(lib, `inverse(output of ${split} group ${copy.group} copy ${copy.augIndex} example ${i}, ${JSON.stringify(copy.transform)}) = ${show(back)}, expected the original ${show(target)}`);
              });
            }
          }
        }
      },
    },
    {
      name: 'decode(encode(x)) = x, encodings fit the shape',
      async check() {
        const shape = lib.shape(c.encode);
        for (const { p, ex, i } of await examplesOf()) {
          const enc = lib.encode(ex, c.encode);
          const where = `${p.split} group ${p.group} copy ${p.augIndex} example ${i}`;
          for (const [k, t] of [['inputs', enc.inputs], ['labels', enc.labels]] as const) {
            if (t.length !== shape.seqLen) fail(lib, `encode(${where}).${k} has ${t.length} tokens, shape.seqLen is ${shape.seqLen}`);
            const bad = t.findIndex((v) => v >= shape.vocabSize);
            if (bad >= 0) fail(lib, `encode(${where}).${k}[${bad}] = ${t[bad]} >= vocabSize ${shape.vocabSize}`);
          }
          if (ex.offset) continue; // a translated ARC example decodes to the canvas position, not the grid alone
          const input = lib.decode(enc.inputs, c.encode);
          if (!sameGrid(input, ex.input)) fail(lib, `decode(encode(${where}).inputs) = ${show(input)}, expected ${show(ex.input)}`);
          if (ex.output) {
            const output = lib.decode(enc.labels, c.encode);
            if (!sameGrid(output, ex.output)) fail(lib, `decode(encode(${where}).labels) = ${show(output)}, expected ${show(ex.output)}`);
          }
        }
      },
    },
    {
      name: 'blank cells and PAD are distinct tokens (every cell of a grid encodes to a non-PAD token)',
      async check() {
        const shape = lib.shape(c.encode);
        for (const { p, ex, i } of await examplesOf()) {
          const enc = lib.encode(ex, c.encode);
          const nonPad = enc.inputs.reduce((n, v) => n + (v !== shape.padId ? 1 : 0), 0);
          if (nonPad < ex.input.cells.length) fail(lib, `encode(${p.split} group ${p.group} example ${i}): ${ex.input.cells.length} input cells but only ${nonPad} non-PAD tokens (a cell value, e.g. the blank, encodes to PAD ${shape.padId})`);
        }
      },
    },
    {
      name: 'renderText and renderSvg draw every grid',
      async check() {
        for (const { ex } of (await examplesOf()).slice(0, 20)) {
          for (const g of [ex.input, ex.output]) {
            if (!g) continue;
            const text = lib.renderText(g);
            if (typeof text !== 'string' || !text.trim()) fail(lib, `renderText(${show(g)}) is empty`);
            const wrong = new Uint8Array(g.cells.length).fill(1);
            for (const svg of [lib.renderSvg(g), lib.renderSvg(g, { wrong, givens: wrong, title: 't', cellSize: 7 })]) {
              if (!/^(<\?xml[^>]*>\s*)?<svg[\s>]/.test(svg.trim()) || !svg.trim().endsWith('</svg>')) fail(lib, `renderSvg(${show(g)}) is not an SVG document`);
            }
          }
        }
      },
    },
    {
      name: 'evaluate: rates in [0, 1], the labels score 1, every metric finite',
      async check() {
        const all = await puzzles();
        const trainGroups = await groups('train');
        const testGroups = await groups('test');
        const ids = new Map<string, number>([['', 0]]);
        for (const p of [...trainGroups.flat(), ...testGroups.flat()]) if (!ids.has(p.name)) ids.set(p.name, ids.size);
        const flat: { name: string; transform: string; split: string }[] = [...trainGroups.flat(), ...testGroups.flat()].map((p: AugmentedPuzzle) => ({ name: p.name, transform: p.transform, split: p.split }));
        const aux = lib.auxArtifacts?.(all, flat) ?? null;
        const rows: ExamplePrediction[] = [];
        for (const p of testGroups.flat()) {
          for (const ex of p.examples) {
            if (!ex.output) continue;
            const enc = lib.encode(ex, c.encode);
            rows.push({ index: rows.length, group: p.group, puzzleIdentifier: ids.get(p.name)!, inputs: enc.inputs, labels: enc.labels, preds: enc.labels, qHalt: 1 });
          }
        }
        if (!rows.length) fail(lib, 'the test split of the conformance case has no labelled example');
        const perfect = lib.evaluate(rows, c.evaluate ?? {}, aux).metrics;
        const wrong = lib.evaluate(rows.map((r) => ({ ...r, preds: r.inputs, qHalt: -1 })), c.evaluate ?? {}, aux).metrics;
        for (const [label, m] of [['the labels', perfect], ['the inputs as predictions', wrong]] as const) {
          for (const [k, v] of Object.entries(m)) {
            if (typeof v !== 'number' || !Number.isFinite(v)) fail(lib, `evaluate(${label}): metric ${k} = ${v}, expected a finite number`);
            if (isRateMetric(k) && (v < 0 || v > 1)) fail(lib, `evaluate(${label}): rate ${k} = ${v}, outside [0, 1]`);
            if (label === 'the labels' && isRateMetric(k) && v !== 1) fail(lib, `evaluate(the labels): rate ${k} = ${v}; predicting the labels must score 1`);
          }
        }
      },
    },
  ];
}
