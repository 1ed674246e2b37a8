// Text and SVG pictures of a board.
import type { Grid } from '@trm/dataset';
import { specForCells } from './board.ts';

/** Rows of digits (`.` blank) with `|` between stacks and a rule between bands. */
export function renderText(grid: Grid): string {
  const spec = specForCells(grid.cells.length, 'sudoku renderText');
  const { n, boxRows, boxCols } = spec;
  const lines: string[] = [];
  const rule = Array.from({ length: n / boxCols }, () => '-'.repeat(boxCols * 2 + 1)).join('+').slice(1, -1);
  for (let r = 0; r < n; r++) {
    if (r > 0 && r % boxRows === 0) lines.push(rule);
    const parts: string[] = [];
    for (let c = 0; c < n; c++) {
      if (c > 0 && c % boxCols === 0) parts.push('|');
      const v = grid.cells[r * n + c];
      parts.push(v === 0 ? '.' : String(v));
    }
    lines.push(parts.join(' '));
  }
  return lines.join('\n');
}

export interface SudokuSvgOptions {
  /** cells (same length as `cells`) drawn in red */
  wrong?: Uint8Array;
  title?: string;
  cellSize?: number;
  /** cells that were given in the puzzle (non-zero = given): drawn dark, the other digits blue */
  givens?: Uint8Array;
}

const escapeXml = (s: string): string => s.replace(/[<>&"]/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[ch]!);

/** A standalone SVG document of the board: thin cell lines, thick box lines. */
export function renderSvg(grid: Grid, opts: SudokuSvgOptions = {}): string {
  const spec = specForCells(grid.cells.length, 'sudoku renderSvg');
  const { n, boxRows, boxCols } = spec;
  for (const [key, arr] of [['wrong', opts.wrong], ['givens', opts.givens]] as const) {
    if (arr && arr.length !== grid.cells.length) throw new Error(`sudoku renderSvg: ${key} has ${arr.length} entries, the grid ${grid.cells.length} cells`);
  }
  const cell = opts.cellSize ?? 32;
  const pad = 4;
  const titleHeight = opts.title ? Math.round(cell * 0.8) : 0;
  const side = n * cell;
  const width = side + 2 * pad;
  const height = side + 2 * pad + titleHeight;
  const x0 = pad;
  const y0 = pad + titleHeight;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (opts.title) {
    out.push(`<text x="${width / 2}" y="${pad + titleHeight * 0.75}" font-family="sans-serif" font-size="${Math.round(cell * 0.45)}" text-anchor="middle" fill="#222222">${escapeXml(opts.title)}</text>`);
  }
  for (let i = 0; i < grid.cells.length; i++) {
    if (!opts.wrong?.[i]) continue;
    const r = Math.floor(i / n);
    const c = i % n;
    out.push(`<rect class="wrong" x="${x0 + c * cell}" y="${y0 + r * cell}" width="${cell}" height="${cell}" fill="#fde0e0"/>`);
  }
  for (let k = 0; k <= n; k++) {
    const thickH = k % boxRows === 0;
    const thickV = k % boxCols === 0;
    out.push(`<line x1="${x0}" y1="${y0 + k * cell}" x2="${x0 + side}" y2="${y0 + k * cell}" stroke="#222222" stroke-width="${thickH ? 2.5 : 0.75}"/>`);
    out.push(`<line x1="${x0 + k * cell}" y1="${y0}" x2="${x0 + k * cell}" y2="${y0 + side}" stroke="#222222" stroke-width="${thickV ? 2.5 : 0.75}"/>`);
  }
  for (let i = 0; i < grid.cells.length; i++) {
    const v = grid.cells[i];
    if (v === 0) continue;
    const r = Math.floor(i / n);
    const c = i % n;
    const given = opts.givens ? opts.givens[i] !== 0 : true;
    const fill = opts.wrong?.[i] ? '#c62828' : given ? '#1a1a1a' : '#1f5fbf';
    const cls = opts.wrong?.[i] ? 'digit wrong' : given ? 'digit given' : 'digit filled';
    out.push(`<text class="${cls}" x="${x0 + (c + 0.5) * cell}" y="${y0 + (r + 0.5) * cell}" font-family="sans-serif" font-size="${Math.round(cell * 0.6)}" font-weight="${given ? 700 : 400}" text-anchor="middle" dominant-baseline="central" fill="${fill}">${v}</text>`);
  }
  out.push('</svg>');
  return out.join('\n');
}
