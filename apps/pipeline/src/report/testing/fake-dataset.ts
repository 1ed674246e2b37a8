// A minimal DatasetLib for report tests: 4x4 grids of digits 0..3, token = digit + 1 (0 = PAD).
import type { DatasetLib, Grid } from '@trm/dataset';

const SIDE = 4;

function unsupported(): never {
  throw new Error('fake dataset: only decode/render are implemented');
}

export const fakeDataset: DatasetLib = {
  name: 'fake',
  description: '4x4 digit grids for report tests',
  schema: { fetch: {}, augment: {}, encode: {}, evaluate: {} },
  shape: () => ({ vocabSize: 5, seqLen: SIDE * SIDE, padId: 0, ignoreLabelId: 0, tokenNames: ['PAD', '0', '1', '2', '3'] }),
  fetch: async () => unsupported(),
  augment: () => unsupported(),
  inverse: (grid) => grid,
  encode: () => unsupported(),
  decode(tokens: Uint8Array): Grid {
    return { rows: SIDE, cols: SIDE, cells: Uint8Array.from(tokens, (t) => Math.max(0, t - 1)) };
  },
  renderText(grid: Grid): string {
    const lines: string[] = [];
    for (let r = 0; r < grid.rows; r++) lines.push(Array.from(grid.cells.subarray(r * grid.cols, (r + 1) * grid.cols)).join(' '));
    return lines.join('\n');
  },
  renderSvg(grid: Grid, opts = {}): string {
    const s = opts.cellSize ?? 20;
    const cells: string[] = [];
    for (let i = 0; i < grid.cells.length; i++) {
      const x = (i % grid.cols) * s;
      const y = Math.floor(i / grid.cols) * s;
      const fill = opts.wrong?.[i] ? '#f4a6a6' : '#ffffff';
      // givens bold, like a printed puzzle; the rest as written in
      const weight = opts.givens?.[i] ? ' class="given" font-weight="700"' : '';
      cells.push(`<rect x="${x}" y="${y}" width="${s}" height="${s}" fill="${fill}" stroke="#888"/>` +
        `<text x="${x + s / 2}" y="${y + s * 0.7}" font-size="${s * 0.6}" text-anchor="middle"${weight}>${grid.cells[i]}</text>`);
    }
    const title = opts.title ? `<title>${opts.title}</title>` : '';
    return `<svg xmlns="http://www.w3.org/2000/svg" width="${grid.cols * s}" height="${grid.rows * s}">${title}${cells.join('')}</svg>`;
  },
  evaluate: () => ({ metrics: {} }),
};
