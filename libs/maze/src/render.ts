import type { Grid } from '@trm/dataset';
import { CELL_CHARS, GOAL, OPEN, PATH, START, WALL } from './cells.ts';

// Text and SVG pictures of a maze (cells outside the alphabet are shown as `?` / magenta).

export function renderMazeText(grid: Grid): string {
  const lines: string[] = [];
  for (let r = 0; r < grid.rows; r++) {
    let line = '';
    for (let c = 0; c < grid.cols; c++) line += CELL_CHARS[grid.cells[r * grid.cols + c]] ?? '?';
    lines.push(line);
  }
  return lines.join('\n');
}

const FILL: Record<number, string> = {
  [WALL]: '#2b2b2b',
  [OPEN]: '#ffffff',
  [START]: '#2e9e4f',
  [GOAL]: '#2f6fd6',
  [PATH]: '#f2a12e',
};

export function renderMazeSvg(grid: Grid, opts: { wrong?: Uint8Array; title?: string; cellSize?: number } = {}): string {
  const size = opts.cellSize ?? 12;
  const top = opts.title ? size * 2 : 0;
  const width = grid.cols * size;
  const height = grid.rows * size + top;
  if (opts.wrong && opts.wrong.length !== grid.cells.length) {
    throw new Error(`maze renderSvg: wrong has ${opts.wrong.length} entries, the grid ${grid.cells.length} cells`);
  }
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
  ];
  if (opts.title) {
    parts.push(`<text x="2" y="${size * 1.4}" font-family="monospace" font-size="${size}">${escapeXml(opts.title)}</text>`);
  }
  const marks: string[] = [];
  for (let r = 0; r < grid.rows; r++) {
    for (let c = 0; c < grid.cols; c++) {
      const i = r * grid.cols + c;
      const v = grid.cells[i];
      const x = c * size;
      const y = top + r * size;
      parts.push(`<rect x="${x}" y="${y}" width="${size}" height="${size}" fill="${FILL[v] ?? '#ff00ff'}"/>`);
      if (v === START || v === GOAL) {
        parts.push(
          `<text x="${x + size / 2}" y="${y + size * 0.8}" text-anchor="middle" font-family="monospace" font-size="${size * 0.8}" fill="#ffffff">${CELL_CHARS[v]}</text>`,
        );
      }
      if (opts.wrong?.[i]) {
        marks.push(`<rect x="${x + 1}" y="${y + 1}" width="${size - 2}" height="${size - 2}" fill="none" stroke="#e0201b" stroke-width="2"/>`);
      }
    }
  }
  parts.push(...marks, '</svg>');
  return parts.join('\n');
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
