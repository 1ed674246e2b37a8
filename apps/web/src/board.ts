// The puzzle a person types: a Sudoku board of cells (digits; '.', '0', space or Backspace to clear; arrows to move),
// or a text box for mazes (one line per row) and ARC tasks (JSON). Either way the text goes to the dataset lib's
// parse, as with `trm solve`.
import { BOX_SHAPES } from '@trm/sudoku';

export interface Board {
  element: HTMLElement;
  text(): string;
  setText(text: string): void;
}

export function createBoard(dataset: string, encode: Record<string, unknown>, placeholder: string): Board {
  if (dataset === 'sudoku') return sudokuBoard(Number(encode.size ?? 9));
  const area = document.createElement('textarea');
  area.className = dataset === 'maze' ? 'maze-input' : 'json-input';
  area.spellcheck = false;
  area.placeholder = placeholder;
  area.rows = dataset === 'maze' ? 16 : 10;
  area.dataset.testid = 'puzzle-input';
  return { element: area, text: () => area.value, setText: (t) => (area.value = t) };
}

function sudokuBoard(n: number): Board {
  const [boxRows, boxCols] = BOX_SHAPES[n] ?? [3, 3];
  const wrap = document.createElement('div');
  wrap.className = 'sudoku-board';
  wrap.dataset.testid = 'puzzle-input';
  wrap.style.gridTemplateColumns = `repeat(${n}, 2.6rem)`;
  const cells: HTMLInputElement[] = [];
  // text set from outside (a ?puzzle= link, a test puzzle) goes to parse as it is, so that its errors are the ones
  // `trm solve` gives, until a cell is edited
  let raw: string | null = null;
  for (let i = 0; i < n * n; i++) {
    const input = document.createElement('input');
    const r = Math.floor(i / n);
    const c = i % n;
    input.maxLength = 1;
    input.inputMode = 'numeric';
    input.setAttribute('aria-label', `row ${r + 1}, column ${c + 1}`);
    if (c % boxCols === 0 && c > 0) input.classList.add('box-left');
    if (r % boxRows === 0 && r > 0) input.classList.add('box-top');
    input.addEventListener('input', () => {
      raw = null;
      const v = input.value.slice(-1);
      input.value = /^[1-9]$/.test(v) && Number(v) <= n ? v : '';
      if (input.value) cells[Math.min(i + 1, n * n - 1)].focus();
    });
    input.addEventListener('keydown', (e) => {
      const move: Record<string, number> = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -n, ArrowDown: n };
      if (e.key in move) {
        cells[(i + move[e.key] + n * n) % (n * n)].focus();
        e.preventDefault();
      } else if (e.key === 'Backspace' && !input.value) {
        cells[Math.max(i - 1, 0)].focus();
      }
    });
    // a whole line pasted into any cell fills the board
    input.addEventListener('paste', (e) => {
      const text = e.clipboardData?.getData('text') ?? '';
      if (text.replace(/[\s|+-]/g, '').length > 1) {
        e.preventDefault();
        setText(text);
      }
    });
    cells.push(input);
    wrap.appendChild(input);
  }
  const setText = (text: string) => {
    raw = text;
    const line = text.replace(/[\s|+-]/g, '');
    cells.forEach((cell, i) => (cell.value = /^[1-9]$/.test(line[i] ?? '') ? line[i] : ''));
  };
  return { element: wrap, text: () => raw ?? cells.map((c) => c.value || '.').join(''), setText };
}
