// A tiny DatasetLib used by the pipeline's own tests (loaded by path, as any third-party
// dataset would be): reverse a row of digits. Augmentation permutes the digits 1..9.
import type { DatasetLib, Grid, RawPuzzle, AugmentedPuzzle } from '@trm/dataset';
import { createRng } from '@trm/augment';

const toy: DatasetLib = {
  name: 'toy',
  description: 'reverse a row of digits (pipeline test fixture)',
  schema: {
    fetch: {
      length: { type: 'integer', description: 'digits per row', default: 6, min: 1, max: 32 },
      train_size: { type: 'integer', description: 'train puzzles', default: 8, min: 0 },
      test_size: { type: 'integer', description: 'test puzzles', default: 4, min: 0 },
      fail: { type: 'boolean', description: 'throw after writing nothing (tests atomicity)', default: false },
    },
    augment: { num_aug: { type: 'integer', description: 'copies per train puzzle', default: 2, min: 0 } },
    encode: {},
    evaluate: {},
  },
  shape: () => ({ vocabSize: 11, seqLen: 6, padId: 0, ignoreLabelId: 0, tokenNames: ['PAD', ...'0123456789'] }),
  async fetch(cfg) {
    if (cfg.fail) throw new Error('toy fetch failed on purpose');
    const n = cfg.length as number;
    const rng = createRng(cfg.seed as number);
    const make = (split: 'train' | 'test', i: number): RawPuzzle => {
      const cells = Uint8Array.from({ length: n }, () => 1 + Math.floor(rng.next() * 9));
      return { id: `${split}-${i}`, split, source: 'toy', examples: [{ input: { rows: 1, cols: n, cells }, output: { rows: 1, cols: n, cells: cells.slice().reverse() }, role: 'test' }] };
    };
    return [...Array.from({ length: cfg.train_size as number }, (_, i) => make('train', i)), ...Array.from({ length: cfg.test_size as number }, (_, i) => make('test', i))];
  },
  *augment(puzzles, cfg, seed, split) {
    const rng = createRng(seed + (split === 'train' ? 1 : 2));
    for (const [g, p] of puzzles.filter((q) => q.split === split).entries()) {
      const group: AugmentedPuzzle[] = [{ split, group: g, augIndex: 0, name: '', transform: '', examples: p.examples }];
      for (let a = 1; split === 'train' && a <= (cfg.num_aug as number); a++) {
        const perm = [0, ...Array.from(rng.permutation(9), (x) => x + 1)];
        const map = (grid: Grid): Grid => ({ ...grid, cells: grid.cells.map((c) => perm[c]) });
        group.push({ split, group: g, augIndex: a, name: '', transform: perm.join(''), examples: p.examples.map((e) => ({ ...e, input: map(e.input), output: e.output && map(e.output) })) });
      }
      yield group;
    }
  },
  inverse: (grid) => grid,
  encode: (ex) => ({ inputs: ex.input.cells.map((c) => c + 1), labels: ex.output ? ex.output.cells.map((c) => c + 1) : new Uint8Array(ex.input.cells.length) }),
  decode: (tokens) => ({ rows: 1, cols: tokens.length, cells: tokens.map((t) => Math.max(0, t - 1)) }),
  renderText: (grid) => Array.from(grid.cells).join(''),
  renderSvg: (grid) => `<svg xmlns="http://www.w3.org/2000/svg"><text>${Array.from(grid.cells).join('')}</text></svg>`,
  evaluate: (preds) => ({ metrics: { toy_examples: preds.length } }),
};

export default toy;
