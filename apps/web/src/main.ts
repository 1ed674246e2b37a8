// TRM in the browser: the page `trm web` serves. Loads the config's model, takes a puzzle (typed, drawn from the
// test set, or `?puzzle=`), and shows the recursion step by step: every supervision step's board with the changed
// cells highlighted, the halting confidence sigmoid(q_halt), the step where the model halts, then the check.
// URL parameters: puzzle (pre-fills the board and solves it), backend (webgpu | webgl | wasm), steps=all.
import { arc } from '@trm/arc';
import { changedCells, PuzzleInputError, type DatasetLib } from '@trm/dataset';
import { maze } from '@trm/maze';
import { sudoku } from '@trm/sudoku';
import type { LoadedModel } from '@trm/trm';
import { BACKENDS, offeredBackends, startBackend, startFirst, type Backend } from './backend.ts';
import { createBoard } from './board.ts';
import { modelFromBytes, solvePuzzle, type ShownStep } from './engine.ts';
import { gridView } from './grid-view.ts';
import { fetchSession, type Session } from './session.ts';

const LIBS: Record<string, DatasetLib> = { sudoku, maze, arc };
const params = new URLSearchParams(location.search);

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'testid') e.dataset.testid = v;
    else if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
};

const nextFrame = () => new Promise<void>((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));

async function start(): Promise<void> {
  const app = document.getElementById('app')!;
  const status = document.getElementById('status')!;
  const session = await fetchSession();
  const lib = LIBS[session.dataset];
  if (!lib?.solving) throw new Error(`dataset ${session.dataset} cannot be solved in the browser (no DatasetLib.solving)`);

  // backend: shown, switchable
  const offered = await offeredBackends();
  const wanted = params.get('backend') as Backend | null;
  if (wanted && !BACKENDS.includes(wanted)) throw new Error(`?backend=${wanted}: expected one of ${BACKENDS.join(', ')}`);
  let backend = await startFirst(offered, wanted ?? undefined);
  const backendLabel = el('strong', { testid: 'backend' }, backend);
  const backendSelect = el('select', { testid: 'backend-select', 'aria-label': 'TensorFlow.js backend' }, ...offered.map((b) => el('option', { value: b }, b)));
  backendSelect.value = backend;

  // model: the config's, or a file the person opens
  let model: LoadedModel | null = null;
  let modelBytes: { bytes: Uint8Array; name: string } | null = null;
  const modelLabel = el('span', { testid: 'model' }, 'no model');
  const setModel = (bytes: Uint8Array, name: string) => {
    const next = modelFromBytes(bytes, name, lib, session);
    model?.model.dispose();
    model = next;
    modelBytes = { bytes, name };
    const a = next.arch;
    modelLabel.textContent = `${name}: ${a.mlp_t ? 'mlp_t' : 'attention'} h${a.hidden_size} H${a.H_cycles}/L${a.L_cycles}, ${a.halt_max_steps} supervision steps`;
  };
  const fileInput = el('input', { type: 'file', accept: '.safetensors', testid: 'model-file', 'aria-label': 'open a model.safetensors' });
  const error = el('p', { class: 'error', testid: 'error', role: 'alert' });
  const showError = (e: unknown) => {
    error.textContent = (e as Error).message;
  };
  const openFile = async (file: File) => {
    try {
      setModel(new Uint8Array(await file.arrayBuffer()), file.name);
      error.textContent = '';
    } catch (e) {
      showError(e);
    }
  };
  fileInput.addEventListener('change', () => fileInput.files?.[0] && openFile(fileInput.files[0]));
  document.body.addEventListener('dragover', (e) => e.preventDefault());
  document.body.addEventListener('drop', (e) => {
    e.preventDefault();
    const file = e.dataTransfer?.files[0];
    if (file) openFile(file);
  });

  backendSelect.addEventListener('change', async () => {
    const name = backendSelect.value as Backend;
    if (!(await startBackend(name))) {
      showError(new Error(`the ${name} backend does not start in this browser; staying on ${backend}`));
      backendSelect.value = backend;
      await startBackend(backend);
      return;
    }
    backend = name;
    backendLabel.textContent = name;
    // the weights move to the new backend: build the model there again
    if (modelBytes) setModel(modelBytes.bytes, modelBytes.name);
  });

  // the puzzle
  const board = createBoard(session.dataset, session.encode, lib.solving.inputHelp);
  const allSteps = el('input', { type: 'checkbox', testid: 'all-steps', id: 'all-steps' });
  allSteps.checked = params.get('steps') === 'all';
  const solveButton = el('button', { testid: 'solve', type: 'button' }, 'Solve');
  const drawButton = el('button', { testid: 'draw', type: 'button' }, 'Test puzzle');
  drawButton.disabled = session.testPuzzles.length === 0;
  drawButton.title = session.testPuzzles.length ? `a random one of ${session.testPuzzles.length} test puzzles of ${session.config}` : 'no test puzzles (run the fetch stage of this config)';
  drawButton.addEventListener('click', () => {
    const p = session.testPuzzles[Math.floor(Math.random() * session.testPuzzles.length)];
    board.setText(p.text);
    error.textContent = '';
  });
  const results = el('section', { class: 'results', testid: 'results' });

  app.replaceChildren(
    el('section', { class: 'bar' },
      el('span', {}, `config ${session.config} (${session.dataset}) · backend `), backendLabel, ' ', backendSelect,
      el('span', { class: 'sep' }, '·'), modelLabel, el('label', { class: 'file' }, 'open another model ', fileInput), el('span', { class: 'hint' }, '(or drop one on the page)')),
    el('section', { class: 'input' }, el('p', { class: 'help' }, lib.solving.inputHelp), board.element,
      el('div', { class: 'buttons' }, drawButton, solveButton, el('label', { for: 'all-steps' }, allSteps, ` all ${'supervision'} steps`))),
    error,
    results,
  );

  const solve = async () => {
    error.textContent = '';
    results.replaceChildren();
    if (!model) {
      showError(new Error(`no model: ${session.trainCommand} makes one, or open a model.safetensors`));
      return;
    }
    let puzzle;
    try {
      puzzle = lib.solving!.parse(board.text(), session.encode);
    } catch (e) {
      showError(e);
      return;
    }
    solveButton.disabled = true;
    const tests = puzzle.examples.filter((e) => e.role === 'test');
    if (lib.name === 'arc') results.append(arcTask(lib, puzzle.examples));
    const input = tests[0].input;
    const givens = lib.name === 'sudoku' ? Uint8Array.from(input.cells, (v) => (v ? 1 : 0)) : undefined;
    const stepsBox = el('div', { class: 'steps' });
    results.append(el('h2', {}, 'Supervision steps'), stepsBox);
    let prev = input;
    const cards: HTMLElement[] = [];
    const onStep = (s: ShownStep, halts: boolean) => {
      const changed = changedCells(prev, s.grid);
      const n = changed.reduce((a, b) => a + b, 0);
      prev = s.grid;
      const q = s.out.qHalt;
      const card = el('article', { class: `step${halts ? ' halts' : ''}`, testid: `step-${s.step}` },
        el('header', {}, el('strong', {}, `step ${s.step}`), ` · ${n} changed · ${s.ms.toFixed(1)} ms`),
        el('div', { class: 'q', title: 'halting confidence sigmoid(q_halt)' }, el('span', { class: 'qbar', style: `width:${(q * 100).toFixed(1)}%` }), el('span', { class: 'qtext' }, `q_halt ${q.toFixed(3)}`)),
        gridView(lib, s.grid, { changed, givens }, 200),
      );
      if (halts) card.querySelector('header')!.append(el('span', { class: 'badge', testid: 'halts' }, 'halts here'));
      card.dataset.prediction = lib.solving!.formatAnswer([s.grid]);
      card.dataset.tokens = Array.from(s.out.prediction).join(',');
      card.dataset.qHalt = String(q);
      card.dataset.ms = String(s.ms);
      cards.push(card);
      stepsBox.append(card);
    };
    try {
      const outcome = await solvePuzzle(model, lib, session, puzzle, allSteps.checked, onStep, nextFrame);
      if (!outcome.confident) cards[cards.length - 1]?.querySelector('header')!.append(el('span', { class: 'badge muted' }, 'halt_max_steps reached'));
      const check = outcome.check;
      const verdict = check.valid === true ? 'valid' : check.valid === false ? `not valid: ${check.reason}` : `cannot tell: ${check.reason}`;
      const answerGrids = outcome.attempts.map((g, i) =>
        el('figure', {}, gridView(lib, g, { givens, wrong: outcome.attempts.length === 1 ? check.cells : undefined }, 300),
          el('figcaption', {}, outcome.attempts.length > 1 ? `attempt ${i + 1}` : `step ${outcome.confident ? outcome.haltedAt : cards.length}`)));
      results.append(
        el('h2', {}, 'Answer'),
        el('div', { class: 'answer' }, ...answerGrids),
        el('p', { class: `verdict ${check.valid === true ? 'ok' : check.valid === false ? 'bad' : ''}`, testid: 'valid' }, verdict),
        el('p', { class: 'answer-text' }, 'as text: ', el('code', { testid: 'answer' }, outcome.answer)),
      );
      results.dataset.haltedAt = String(outcome.haltedAt);
    } catch (e) {
      showError(e);
    } finally {
      solveButton.disabled = false;
    }
  };
  solveButton.addEventListener('click', solve);

  status.remove();
  if (session.model) {
    try {
      const res = await fetch(session.model);
      if (!res.ok) throw new Error(`${session.model}: HTTP ${res.status}`);
      setModel(new Uint8Array(await res.arrayBuffer()), session.modelName ?? session.model);
    } catch (e) {
      showError(e);
    }
  } else {
    showError(new Error(`no trained model for ${session.config}: ${session.trainCommand} makes one, or open a model.safetensors`));
  }
  const prefill = params.get('puzzle');
  if (prefill !== null) {
    board.setText(prefill);
    if (model) await solve();
  }
  document.body.dataset.ready = 'true';
}

/** ARC: the task's demonstration pairs and test input, drawn by the lib. */
function arcTask(lib: DatasetLib, examples: { input: { rows: number; cols: number; cells: Uint8Array }; output: { rows: number; cols: number; cells: Uint8Array } | null; role: string }[]): HTMLElement {
  const box = el('div', { class: 'arc-task' });
  examples.forEach((e, i) => {
    const pair = el('figure', { class: 'pair' }, gridView(lib, e.input, {}, 110));
    if (e.role === 'train' && e.output) pair.append(el('span', { class: 'arrow' }, '→'), gridView(lib, e.output, {}, 110));
    pair.append(el('figcaption', {}, e.role === 'train' ? `demonstration ${i + 1}` : 'test input'));
    box.append(pair);
  });
  return el('section', {}, el('h2', {}, 'Task'), box);
}

start().catch((e) => {
  const status = document.getElementById('status');
  const text = e instanceof PuzzleInputError ? e.message : `the app could not start: ${(e as Error).message}`;
  if (status) status.textContent = text;
  else document.body.append(el('p', { class: 'error', testid: 'error' }, text));
  document.body.dataset.ready = 'true';
});
