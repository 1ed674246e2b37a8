import { describe, expect, it } from 'vitest';
import { datasetLaws } from './conformance.ts';
import type { DatasetLib, Grid, RawPuzzle } from './contract.ts';

// A minimal lib that keeps every law (reverse a row of digits; augmentation rotates the row, undone by `inverse`),
// and one broken copy per law: each must fail that law, with a message naming what broke.
const row = (cells: number[]): Grid => ({ rows: 1, cols: cells.length, cells: Uint8Array.from(cells) });
const rotate = (g: Grid, k: number): Grid => row(Array.from(g.cells, (_, i) => g.cells[(i + k) % g.cells.length]));

const good: DatasetLib = {
  name: 'reverse',
  description: 'reverse a row',
  schema: { fetch: {}, augment: {}, encode: {}, evaluate: {} },
  shape: () => ({ vocabSize: 11, seqLen: 4, padId: 0, ignoreLabelId: 0, tokenNames: [] }),
  async fetch(cfg) {
    const seed = cfg.seed as number;
    const out: RawPuzzle[] = [];
    for (let i = 0; i < 4; i++) {
      const input = row([0, 1, 2, 3].map((j) => (seed + i * 3 + j * 7) % 10));
      out.push({ id: `p${i}`, split: i < 3 ? 'train' : 'test', examples: [{ input, output: row([...input.cells].reverse()), role: 'test' }] });
    }
    return out;
  },
  *augment(puzzles, _cfg, _seed, split) {
    let group = 0;
    for (const p of puzzles.filter((x) => x.split === split)) {
      const copies = [0, 1, 2].map((k) => ({
        split, group, augIndex: k, name: '', transform: String(k),
        examples: p.examples.map((ex) => ({ ...ex, input: rotate(ex.input, k), output: ex.output && rotate(ex.output, k) })),
      }));
      group++;
      yield copies;
    }
  },
  inverse: (g, t) => rotate(g, (g.cells.length - Number(t || 0)) % g.cells.length),
  encode: (ex) => ({ inputs: Uint8Array.from(ex.input.cells, (v) => v + 1), labels: Uint8Array.from(ex.output!.cells, (v) => v + 1) }),
  decode: (t) => row(Array.from(t, (v) => v - 1)),
  renderText: (g) => g.cells.join(''),
  renderSvg: (g) => `<svg xmlns="http://www.w3.org/2000/svg"><text>${g.cells.join('')}</text></svg>`,
  evaluate(preds) {
    const right = preds.filter((p) => p.preds.every((v, i) => v === p.labels[i])).length;
    return { metrics: { reversed_rate: preds.length ? right / preds.length : 0, examples_seen: preds.length } };
  },
};

async function failures(lib: DatasetLib): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const law of datasetLaws(lib, { fetch: {}, augment: {}, encode: {}, seed: 1 })) {
    try { await law.check(); } catch (e) { out[law.name] = (e as Error).message; }
  }
  return out;
}

describe('datasetLaws', () => {
  it('passes a lib that keeps the contract', async () => {
    expect(await failures(good)).toEqual({});
  });

  const broken: [string, Partial<DatasetLib>, RegExp, RegExp][] = [
    ['fetch not deterministic', { fetch: async (cfg, io) => { const p = await good.fetch(cfg, io); p[0].id = String(Math.random()); return p; } }, /^fetch is deterministic/, /different puzzles/],
    ['augment drops the original', { *augment(p, c, s, split) { for (const g of good.augment(p, c, s, split)) yield [g[1], g[0], g[2]].map((x, k) => ({ ...x, augIndex: k })); } }, /^augment keeps the original first/, /first copy is not the original/],
    ['inverse wrong', { inverse: (g) => g }, /^inverse undoes/, /expected the original/],
    ['decode loses a cell', { decode: (t) => row(Array.from(t, (v) => v - 1).slice(1)) }, /^decode\(encode\(x\)\) = x/, /decode\(encode\(train group 0 copy 0 example 0\)\.inputs\)/],
    ['blank encodes to PAD', { encode: (ex) => ({ inputs: Uint8Array.from(ex.input.cells), labels: Uint8Array.from(ex.output!.cells, (v) => v + 1) }), decode: (t) => row(Array.from(t, (v) => v - 1)) }, /^blank cells and PAD/, /non-PAD tokens/],
    ['renderSvg not SVG', { renderSvg: () => '<div/>' }, /^renderText and renderSvg/, /not an SVG document/],
    ['a rate above 1', { evaluate: () => ({ metrics: { reversed_rate: 2 } }) }, /^evaluate: rates in \[0, 1\]/, /rate reversed_rate = 2, outside \[0, 1\]/],
    ['the labels do not score 1', { evaluate: () => ({ metrics: { reversed_rate: 0.5 } }) }, /^evaluate: rates in \[0, 1\]/, /predicting the labels must score 1/],
  ];
  for (const [what, patch, law, message] of broken) {
    it(`fails a lib whose ${what}`, async () => {
      const f = await failures({ ...good, ...patch });
      const hit = Object.entries(f).find(([name]) => law.test(name));
      expect(hit, JSON.stringify(f)).toBeDefined();
      expect(hit![1]).toMatch(/^reverse: /);
      expect(hit![1]).toMatch(message);
    });
  }
});
