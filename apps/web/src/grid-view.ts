// A grid drawn by its dataset lib's renderSvg, with the changed cells highlighted by an overlay of the same geometry.
import type { DatasetLib, Grid } from '@trm/dataset';

/** Top-left offset of the cells inside each lib's SVG (renderSvg without a title). */
const OFFSET: Record<string, number> = { sudoku: 4, maze: 0, arc: 0 };

export interface GridMarks {
  /** 1 = changed since the previous step (highlighted) */
  changed?: Uint8Array;
  /** 1 = breaks the task's rules (drawn red by the lib) */
  wrong?: Uint8Array;
  /** Sudoku: 1 = given in the puzzle */
  givens?: Uint8Array;
}

/** The grid about `width` pixels wide (cells of 6 to 40 pixels). */
export function gridView(lib: DatasetLib, grid: Grid, marks: GridMarks = {}, width = 240): HTMLElement {
  const offset = OFFSET[lib.name] ?? 0;
  const cell = Math.min(40, Math.max(6, Math.floor(width / Math.max(1, grid.rows, grid.cols))));
  const box = document.createElement('div');
  box.className = 'grid-view';
  if (grid.rows === 0 || grid.cols === 0) {
    box.textContent = '(empty grid)';
    return box;
  }
  const svgOpts: { wrong?: Uint8Array; givens?: Uint8Array; cellSize: number } = { cellSize: cell };
  if (marks.wrong) svgOpts.wrong = marks.wrong;
  if (marks.givens && lib.name === 'sudoku') svgOpts.givens = marks.givens;
  box.innerHTML = lib.renderSvg(grid, svgOpts);
  if (marks.changed && marks.changed.some((c) => c !== 0)) {
    const overlay = document.createElement('div');
    overlay.className = 'changed-overlay';
    overlay.style.left = overlay.style.top = `${offset}px`;
    overlay.style.gridTemplateColumns = `repeat(${grid.cols}, ${cell}px)`;
    overlay.style.gridAutoRows = `${cell}px`;
    for (let i = 0; i < grid.cells.length; i++) {
      const d = document.createElement('div');
      if (marks.changed[i]) d.className = 'changed';
      overlay.appendChild(d);
    }
    box.appendChild(overlay);
  }
  return box;
}
