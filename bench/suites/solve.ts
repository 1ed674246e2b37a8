// Benchmark suite `solve`: inference speed of a trained TRM on one puzzle at a time, as `trm solve` and the web app
// run it, and the web app's bundle size.
// - Node (each model x matmul kernel in a fresh process, wasm backend): ms per supervision step (median over every
//   step of every timed puzzle) and ms per puzzle (every step, halt_max_steps of them: median over puzzles), after
//   `warmup` untimed puzzles. Kernels: `native` (what `trm solve` uses when the addon builds) and `trm` (the
//   WebAssembly GEMM, the browser's kernel).
// - Headless Chromium (Debian's, through playwright-core; skipped with a note when missing): `trm web` serves the model,
//   the page solves the puzzle on each backend the browser offers (?steps=all); the first solve warms up (shader
//   compilation), then `puzzles` more solves on the same page are timed by the page itself (data-ms: the model call
//   of each step).
// - the built app: bytes of its files (JS, WebAssembly, the rest) and of its JS gzipped.
// - trained configs also report how often the answer keeps the rules when the model halts itself vs after every step
//   (their test puzzles, up to 200).
// Models (`--set models=[...]`): a config name with a trained model (its artifacts/<config>/train/model.safetensors and
// test puzzles), or `paper`: a random-weight model of the paper's Sudoku size (mlp_t, hidden 512, H_cycles 3,
// L_cycles 6, 2 layers, 16 supervision steps, 9x9 board; random weights time the same as trained ones).
// Options: models=["sudoku-quick","paper"], puzzles=5, warmup=2, kernels=["native","trm"], browser=true,
// browser_backends=[...] (the Chromium backends to time, of those it offers; default all: webgpu, webgl, wasm).
// `--quick`: puzzles=1, warmup=1, kernels=["trm"].
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { createRng } from '@trm/augment';
import { boardSpec, cellsToString, generatePuzzle, sudoku } from '@trm/sudoku';
import { encodeSafetensors } from '@trm/tensor-core';
import { initBackend } from '@trm/tensor-node';
import { createModel, loadModel, solve, solveSteps, type ArchConfig } from '@trm/trm';
import { testPuzzles } from '../../apps/pipeline/src/cli/test-puzzles.ts';
import { buildWebApp, bundleSizes } from '../../apps/pipeline/src/cli/web.ts';
import { type BenchResult, listOption, markdownTable, median, runAsChild, runChildStreaming } from '../common.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu'];

/** The paper's Sudoku-Extreme model (configs/sudoku-base.json's arch on a 9x9 board). */
export const PAPER_ARCH: ArchConfig = {
  seq_len: 81, vocab_size: 11, num_puzzle_identifiers: 1, hidden_size: 512, num_heads: 8, expansion: 4, L_layers: 2, H_cycles: 3, L_cycles: 6,
  mlp_t: true, pos_encodings: 'none', puzzle_emb_ndim: 512, puzzle_emb_len: 16, halt_max_steps: 16, halt_exploration_prob: 0.1,
  rope_theta: 10000, rms_norm_eps: 1e-5, no_ACT_continue: true,
};

interface ModelSpec {
  name: string;
  /** the config `trm web` serves it with */
  config: string;
  file: string;
  /** encode section of the config */
  encode: Record<string, unknown>;
  puzzles: string[];
  trained: boolean;
}

interface NodeParams {
  file: string;
  encode: Record<string, unknown>;
  puzzles: string[];
  warmup: number;
  timed: number;
  gemm: string;
  trained: boolean;
}

interface NodeReport {
  backend: string;
  steps: number;
  ms_step: number[];
  ms_puzzle: number[];
  quality?: { puzzles: number; valid_at_halt: number; valid_all_steps: number; mean_steps_at_halt: number };
}

/** Child: time the model on the puzzles in this process. */
async function nodeChild(p: NodeParams): Promise<NodeReport> {
  process.env.TRM_GEMM = p.gemm;
  const info = await initBackend('wasm');
  const { model, arch } = loadModel(new Uint8Array(fs.readFileSync(p.file)), path.basename(p.file));
  const solving = sudoku.solving!;
  const rows = p.puzzles.map((t) => solving.queries(solving.parse(t, p.encode), p.encode, { identifiers: ['<blank>'], aux: null })[0]);
  const msStep: number[] = [];
  const msPuzzle: number[] = [];
  for (let k = 0; k < p.warmup + p.timed; k++) {
    const row = rows[k % rows.length];
    const t0 = performance.now();
    let last = t0;
    const steps: number[] = [];
    for await (const _ of solveSteps(model, [row], 'max')) {
      const now = performance.now();
      steps.push(now - last);
      last = now;
    }
    if (k < p.warmup) continue;
    msPuzzle.push(last - t0);
    msStep.push(...steps);
  }
  let quality: NodeReport['quality'];
  if (p.trained) {
    const puzzles = p.puzzles.map((t) => solving.parse(t, p.encode));
    const all = puzzles.map((pz) => solving.queries(pz, p.encode, { identifiers: ['<blank>'], aux: null })[0]);
    const valid = async (until: 'halt' | 'max') => {
      const traces = await solve(model, all, { until, batchSize: 50 });
      const ok = traces.filter((t, i) => solving.check(puzzles[i].examples[0], [solving.decodeAnswer(t.steps[t.steps.length - 1].prediction, all[i], p.encode)]).valid).length;
      return { ok, steps: traces.reduce((a, t) => a + t.steps.length, 0) / traces.length };
    };
    const h = await valid('halt');
    const m = await valid('max');
    quality = { puzzles: puzzles.length, valid_at_halt: h.ok / puzzles.length, valid_all_steps: m.ok / puzzles.length, mean_steps_at_halt: h.steps };
  }
  model.dispose();
  return { backend: `wasm (${info.gemm}${info.gemmBuild ? ` ${info.gemmBuild}` : ''})`, steps: arch.halt_max_steps, ms_step: msStep, ms_puzzle: msPuzzle, quality };
}

async function writePaperModel(file: string): Promise<void> {
  await initBackend('wasm');
  const model = createModel(PAPER_ARCH, 0);
  fs.writeFileSync(file, encodeSafetensors(model.stateDict(), { format: 'pt', config: JSON.stringify(PAPER_ARCH) }));
  model.dispose();
}

runAsChild(import.meta.url, async (p: NodeParams & { write?: string }) => {
  if (p.write) {
    await writePaperModel(p.write);
    return { ok: true };
  }
  return nodeChild(p);
});

async function models(names: string[], tmp: string, count: number, log: (m: string) => void): Promise<ModelSpec[]> {
  const out: ModelSpec[] = [];
  for (const name of names) {
    if (name === 'paper') {
      const file = path.join(tmp, 'paper-random.safetensors');
      log('writing a random-weight paper-size Sudoku model');
      await runChildStreaming(SELF, { write: file }, 'solve paper model', log, () => false);
      const rng = createRng(11);
      const puzzles = Array.from({ length: count }, () => cellsToString(generatePuzzle(boardSpec(9), rng).puzzle));
      out.push({ name, config: 'sudoku-extreme-paper', file, encode: { size: 9 }, puzzles, trained: false });
      continue;
    }
    const file = path.join(ROOT, 'artifacts', name, 'train', 'model.safetensors');
    if (!fs.existsSync(file)) throw new Error(`solve bench: ${file} is missing; run \`npx nx run pipeline:report --config ${name}\` first (or leave ${name} out of --set models=...)`);
    const { dataset } = JSON.parse(fs.readFileSync(path.join(ROOT, 'artifacts', name, 'train', 'manifest.json'), 'utf8')) as { dataset: string };
    if (dataset !== 'sudoku') throw new Error(`solve bench: ${name} is a ${dataset} config; this suite times Sudoku models`);
    const puzzles = (await testPuzzles(sudoku, path.join(ROOT, 'artifacts'), name, 200)).map((p) => p.text);
    if (puzzles.length === 0) throw new Error(`solve bench: ${name} has no test puzzles (artifacts/${name}/fetch)`);
    const size = Math.round(Math.sqrt(puzzles[0].length)); // one character a cell
    out.push({ name, config: name, file, encode: { size }, puzzles, trained: true });
  }
  return out;
}

function startWeb(config: string, checkpoint: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/pipeline/src/main.ts', 'web', '--config', config, '--port', '0', '--checkpoint', checkpoint], {
      cwd: ROOT, env: { ...process.env, TRM_QUIET: '1' }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (c: string) => {
      err += c;
      const m = /serving \S+ on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(err);
      if (m) resolve({ child, url: m[1] });
    });
    child.once('exit', (code) => reject(new Error(`trm web exited with ${code}: ${err.slice(-1000)}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** ms per step and per puzzle on every backend Chromium offers, timed by the page. */
async function browserRuns(spec: ModelSpec, timed: number, only: string[] | null, log: (m: string) => void): Promise<{ backend: string; ms_step: number[]; ms_puzzle: number[]; steps: number }[]> {
  const { chromium } = await import('playwright-core');
  const { child, url } = await startWeb(spec.config, spec.file);
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS });
  const out: { backend: string; ms_step: number[]; ms_puzzle: number[]; steps: number }[] = [];
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector('[data-testid=backend]', { timeout: 180_000 });
    const offered = await page.locator('[data-testid=backend-select] option').allTextContents();
    const missing = (only ?? []).filter((b) => !offered.includes(b));
    if (missing.length) log(`chromium does not offer ${missing.join(', ')} (it offers ${offered.join(', ')}): not timed`);
    for (const backend of offered.filter((b) => !only || only.includes(b))) {
      const puzzle = spec.puzzles[0];
      await page.goto(`${url}?${new URLSearchParams({ puzzle, backend, steps: 'all' })}`);
      await page.locator('[data-testid=answer]').waitFor({ timeout: 600_000 }); // the first solve: warm-up
      const ms_step: number[] = [];
      const ms_puzzle: number[] = [];
      for (let k = 0; k < timed; k++) {
        await page.click('[data-testid=solve]');
        await page.locator('[data-testid=answer]').waitFor({ timeout: 600_000 });
        const ms = await page.locator('[data-testid^=step-]').evaluateAll((cards) => cards.map((c) => Number(c.getAttribute('data-ms'))));
        ms_step.push(...ms);
        ms_puzzle.push(ms.reduce((a, b) => a + b, 0));
      }
      const shown = (await page.locator('[data-testid=backend]').textContent()) ?? backend;
      log(`${spec.name} chromium ${shown}: ${median(ms_step).toFixed(2)} ms/step`);
      out.push({ backend: shown, ms_step, ms_puzzle, steps: ms_step.length / timed });
    }
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
    await stop(child);
  }
  return out;
}

export async function run(opts: { log: (m: string) => void; quick: boolean; [key: string]: unknown }): Promise<BenchResult[]> {
  const log = opts.log;
  const names = opts.models === undefined ? ['sudoku-quick', 'paper'] : listOption(opts.models, 'string', 'solve models');
  const timed = Number(opts.puzzles ?? (opts.quick ? 1 : 5));
  const warmup = Number(opts.warmup ?? (opts.quick ? 1 : 2));
  const kernels = opts.kernels === undefined ? (opts.quick ? ['trm'] : ['native', 'trm']) : listOption(opts.kernels, 'string', 'solve kernels');
  const browser = opts.browser !== false;
  const browserBackends = opts.browser_backends === undefined ? null : listOption(opts.browser_backends, 'string', 'solve browser_backends');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-bench-solve-'));
  const results: BenchResult[] = [];
  try {
    for (const spec of await models(names, tmp, warmup + timed, log)) {
      for (const gemm of kernels) {
        log(`${spec.name}: node, wasm backend, ${gemm} matmul kernel`);
        const r = await runChildStreaming<NodeReport>(SELF, { file: spec.file, encode: spec.encode, puzzles: spec.puzzles, warmup, timed, gemm, trained: spec.trained && gemm === kernels[0] } satisfies NodeParams, `solve ${spec.name} ${gemm}`, log, () => false);
        const extra = { backend: r.backend, steps_per_puzzle: r.steps, samples_step: r.ms_step.length, samples_puzzle: r.ms_puzzle.length };
        results.push({ name: `solve/${spec.name}/node-${gemm}/ms_per_step`, unit: 'ms', value: median(r.ms_step), extra });
        results.push({ name: `solve/${spec.name}/node-${gemm}/ms_per_puzzle`, unit: 'ms', value: median(r.ms_puzzle), extra });
        if (r.quality) {
          results.push({ name: `solve/${spec.name}/valid_at_halt`, unit: 'fraction', value: r.quality.valid_at_halt, extra: r.quality });
          results.push({ name: `solve/${spec.name}/valid_all_steps`, unit: 'fraction', value: r.quality.valid_all_steps, extra: r.quality });
        }
      }
      if (!browser) continue;
      if (!fs.existsSync(CHROMIUM)) {
        log(`no Chromium at ${CHROMIUM}: browser figures skipped (apt-get install -y chromium)`);
        continue;
      }
      for (const b of await browserRuns(spec, timed, browserBackends, log)) {
        const extra = { steps_per_puzzle: b.steps, samples_step: b.ms_step.length, samples_puzzle: b.ms_puzzle.length };
        results.push({ name: `solve/${spec.name}/chromium-${b.backend}/ms_per_step`, unit: 'ms', value: median(b.ms_step), extra });
        results.push({ name: `solve/${spec.name}/chromium-${b.backend}/ms_per_puzzle`, unit: 'ms', value: median(b.ms_puzzle), extra });
      }
    }
    const app = await buildWebApp(ROOT, log);
    const files = bundleSizes(app.dir);
    const sum = (re: RegExp) => files.filter((f) => re.test(f.file)).reduce((a, f) => a + f.bytes, 0);
    const gz = files.filter((f) => /\.js$/.test(f.file)).reduce((a, f) => a + gzipSync(fs.readFileSync(path.join(app.dir, f.file))).length, 0);
    const extra = { files };
    results.push({ name: 'solve/bundle/total_kb', unit: 'KiB', value: sum(/./) / 1024, extra });
    results.push({ name: 'solve/bundle/js_kb', unit: 'KiB', value: sum(/\.js$/) / 1024 });
    results.push({ name: 'solve/bundle/js_gzip_kb', unit: 'KiB', value: gz / 1024 });
    results.push({ name: 'solve/bundle/wasm_kb', unit: 'KiB', value: sum(/\.wasm$/) / 1024 });
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return results;
}

export function markdown(results: BenchResult[]): string {
  const speed = results.filter((r) => /ms_per_step$/.test(r.name));
  const rows = speed.map((r) => {
    const [, model, where] = r.name.split('/');
    const perPuzzle = results.find((x) => x.name === r.name.replace('ms_per_step', 'ms_per_puzzle'));
    return [model, where, r.value.toFixed(2), perPuzzle ? perPuzzle.value.toFixed(1) : '', String((r.extra?.steps_per_puzzle as number | undefined) ?? '')];
  });
  const quality = results.filter((r) => /valid_at_halt$/.test(r.name)).map((r) => {
    const q = r.extra as { puzzles: number; valid_at_halt: number; valid_all_steps: number; mean_steps_at_halt: number };
    return [r.name.split('/')[1], String(q.puzzles), `${(100 * q.valid_at_halt).toFixed(1)}% (${q.mean_steps_at_halt.toFixed(2)} steps)`, `${(100 * q.valid_all_steps).toFixed(1)}%`];
  });
  const size = (n: string) => results.find((r) => r.name === `solve/bundle/${n}`)?.value.toFixed(0) ?? '?';
  return [
    '## solve: one puzzle at a time (batch 1), every supervision step',
    markdownTable(['model', 'where', 'ms / step', 'ms / puzzle', 'steps / puzzle'], rows),
    ...(quality.length ? ['', markdownTable(['model', 'test puzzles', 'valid when the model halts', 'valid after every step'], quality)] : []),
    '',
    `Bundle: ${size('total_kb')} KiB in all, JavaScript ${size('js_kb')} KiB (${size('js_gzip_kb')} KiB gzipped), WebAssembly ${size('wasm_kb')} KiB.`,
  ].join('\n');
}
