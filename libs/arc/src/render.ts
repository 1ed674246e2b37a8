import type { Grid } from '@trm/dataset';

// Text and SVG views of a grid, in the official ARC palette.

export const ARC_PALETTE: readonly string[] = [
  '#000000', // 0 black
  '#0074D9', // 1 blue
  '#FF4136', // 2 red
  '#2ECC40', // 3 green
  '#FFDC00', // 4 yellow
  '#AAAAAA', // 5 grey
  '#F012BE', // 6 magenta
  '#FF851B', // 7 orange
  '#7FDBFF', // 8 sky
  '#870C25', // 9 maroon
];

/** One line per row, one digit per cell. */
export function renderText(grid: Grid): string {
  const lines: string[] = [];
  for (let r = 0; r < grid.rows; r++) lines.push(Array.from(grid.cells.subarray(r * grid.cols, (r + 1) * grid.cols)).join(''));
  return lines.join('\n');
}

/** An SVG document; cells flagged in `wrong` get a crossed red frame. */
export function renderSvg(grid: Grid, opts: { wrong?: Uint8Array; title?: string; cellSize?: number } = {}): string {
  const size = opts.cellSize ?? 16;
  const titleHeight = opts.title ? size + 4 : 0;
  const width = grid.cols * size;
  const height = grid.rows * size + titleHeight;
  if (opts.wrong && opts.wrong.length !== grid.cells.length) {
    throw new RangeError(`arc.renderSvg: wrong has ${opts.wrong.length} entries, expected ${grid.cells.length} (one per cell)`);
  }
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`];
  if (opts.title) parts.push(`<text x="2" y="${size}" font-family="monospace" font-size="${size - 2}">${escapeXml(opts.title)}</text>`);
  for (let r = 0; r < grid.rows; r++) {
    for (let c = 0; c < grid.cols; c++) {
      const v = grid.cells[r * grid.cols + c];
      const x = c * size;
      const y = titleHeight + r * size;
      const fill = ARC_PALETTE[v] ?? '#FFFFFF';
      parts.push(`<rect x="${x}" y="${y}" width="${size}" height="${size}" fill="${fill}" stroke="#555555" stroke-width="0.5"/>`);
      if (opts.wrong?.[r * grid.cols + c]) {
        const w = Math.max(1, size / 8);
        parts.push(
          `<rect class="wrong" x="${x + w / 2}" y="${y + w / 2}" width="${size - w}" height="${size - w}" fill="none" stroke="#FF0000" stroke-width="${w}"/>` +
            `<path d="M${x + w} ${y + w}L${x + size - w} ${y + size - w}M${x + size - w} ${y + w}L${x + w} ${y + size - w}" stroke="#FF0000" stroke-width="${w}"/>`,
        );
      }
    }
  }
  parts.push('</svg>');
  return parts.join('\n');
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!);
}
