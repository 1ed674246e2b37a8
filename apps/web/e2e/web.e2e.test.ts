// End to end in a real browser: Debian's Chromium, headless, driven by playwright-core. `trm web` serves a model
// trained by sudoku-tiny; the page opens ?puzzle=<test puzzle> on every backend the browser offers and solves it; every
// supervision step's prediction must equal `trm solve --json` on the same model and puzzle:
// - wasm: bit for bit (tokens, and sigmoid(q_halt) as the same double). The page runs tfjs-backend-wasm with
//   tensor-core's WebAssembly GEMM and in-heap copies, which is what `TRM_BACKEND=wasm TRM_GEMM=trm trm solve` runs on
//   Node: the same WebAssembly code on the same float32 inputs.
// - webgl, webgpu (where offered; headless Chromium offers them through SwiftShader, the CPU implementation of GL
//   and Vulkan): the argmax predictions, and sigmoid(q_halt) within 1e-3. Their shaders sum in another order and use
//   other exp/rsqrt approximations, so logits differ from Node's in the last bits; a prediction could flip only where
//   two logits of a cell are that close, which the test would report as a failure to look at, not hide.
// Without Chromium (CHROMIUM, default /usr/bin/chromium) the test prints one line and skips itself.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = fs.existsSync(chromiumPath);
if (!haveChromium) console.log(`web e2e: skipped, no Chromium at ${chromiumPath} (apt-get install -y chromium, or set CHROMIUM)`);

/** The flags of TEAM.md plus WebGPU on SwiftShader. */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu'];

const PUZZLES = 3;
let artifacts = '';
let server: ChildProcess | null = null;
let url = '';

function trm(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'apps/pipeline/src/main.ts', ...args], {
    cwd: root, encoding: 'utf8', env: { ...process.env, TRM_ARTIFACTS: artifacts, TRM_QUIET: '1', ...env }, maxBuffer: 64 << 20,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface SolveJson {
  steps: { step: number; tokens: number[]; q_halt: number; prediction: string }[];
  halted_at: number;
  answer: string;
  valid: boolean | null;
}

/** `trm solve --json` on the kernels the page's wasm backend runs (several run at once, beside the browser). */
function solveOnNode(puzzle: string, allSteps: boolean): Promise<SolveJson> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/pipeline/src/main.ts', 'solve', '--config', 'sudoku-tiny', '--json', ...(allSteps ? ['--all-steps'] : []), puzzle], {
      cwd: root, env: { ...process.env, TRM_ARTIFACTS: artifacts, TRM_QUIET: '1', TRM_BACKEND: 'wasm', TRM_GEMM: 'trm' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.once('close', (code) => (code === 0 ? resolve(JSON.parse(out) as SolveJson) : reject(new Error(`trm solve failed (${code}): ${err}`))));
  });
}

/** The test puzzles of sudoku-tiny, as `trm web` offers them (session.json). */
async function testPuzzles(): Promise<string[]> {
  const session = (await (await fetch(new URL('session.json', url))).json()) as { testPuzzles: { text: string }[] };
  return session.testPuzzles.slice(0, PUZZLES).map((p) => p.text);
}

function startServer(): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/pipeline/src/main.ts', 'web', '--config', 'sudoku-tiny', '--port', '0'], {
      cwd: root, env: { ...process.env, TRM_ARTIFACTS: artifacts, TRM_QUIET: '1' }, stdio: ['ignore', 'ignore', 'pipe'],
    });
    server = child;
    let err = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      err += chunk;
      const m = /serving sudoku-tiny on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(err);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`trm web exited with ${code}: ${err}`)));
  });
}

describe.skipIf(!haveChromium)('trm web in Chromium', () => {
  beforeAll(async () => {
    artifacts = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-web-e2e-'));
    const trained = trm(['train', '--config', 'sudoku-tiny']);
    if (trained.status !== 0) throw new Error(`training sudoku-tiny failed: ${trained.stderr}`);
    url = await startServer();
  });

  afterAll(async () => {
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(artifacts, { recursive: true, force: true });
  });

  it('solves test puzzles on every backend the browser offers with the steps of trm solve --json', async () => {
    const puzzles = await testPuzzles();
    expect(puzzles).toHaveLength(PUZZLES);
    // the page's default mode (stop at the halting step) and every step (?steps=all)
    const expected = new Map<string, Promise<SolveJson>>();
    for (const p of puzzles) for (const all of [false, true]) expected.set(`${all}:${p}`, solveOnNode(p, all));
    expected.forEach((e) => e.catch(() => {})); // awaited below; a failure shows there
    const { chromium } = await import('playwright-core');
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-web-chromium-'));
    const context = await chromium.launchPersistentContext(profile, { executablePath: chromiumPath, headless: true, args: FLAGS });
    try {
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(url);
      await page.waitForSelector('[data-testid=backend]', { timeout: 120_000 });
      const offered = await page.locator('[data-testid=backend-select] option').allTextContents();
      console.log(`web e2e: Chromium offers ${offered.join(', ')}`);
      expect(offered).toContain('wasm');

      for (const backend of offered) {
        // each backend: ?puzzle= opens the page and solves the first puzzle; the others are pasted into the board on
        // the same page (a WebGL/WebGPU page compiles its shaders once)
        for (const allSteps of backend === 'wasm' ? [false, true] : [true]) {
          for (const [i, puzzle] of puzzles.entries()) {
            if (i === 0) {
              await page.goto(`${url}?${new URLSearchParams({ puzzle, backend, ...(allSteps ? { steps: 'all' } : {}) })}`);
            } else {
              await page.locator('[data-testid=puzzle-input] input').first().evaluate((cell, text) => {
                const data = new DataTransfer();
                data.setData('text', text);
                cell.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
              }, puzzle);
              await page.click('[data-testid=solve]');
            }
            const answer = page.locator('[data-testid=answer]');
            await answer.waitFor({ timeout: 300_000 });
            const want = await expected.get(`${allSteps}:${puzzle}`)!;
            const where = `${backend}, puzzle ${i} ${puzzle}${allSteps ? ', all steps' : ''}`;
            expect(await page.locator('[data-testid=backend]').textContent(), where).toBe(backend);
            const steps = await page.locator('[data-testid^=step-]').evaluateAll((cards) =>
              cards.map((c) => ({ id: c.getAttribute('data-testid'), tokens: c.getAttribute('data-tokens'), q: Number(c.getAttribute('data-q-halt')), prediction: c.getAttribute('data-prediction') })));
            expect(steps.map((s) => s.id), where).toEqual(want.steps.map((s) => `step-${s.step}`));
            steps.forEach((s, k) => {
              const e = want.steps[k];
              expect(s.tokens, `${where}, step ${k + 1}`).toBe(e.tokens.join(','));
              expect(s.prediction, `${where}, step ${k + 1}`).toBe(e.prediction);
              if (backend === 'wasm') expect(s.q, `${where}, step ${k + 1}`).toBe(e.q_halt);
              else expect(Math.abs(s.q - e.q_halt), `${where}, step ${k + 1}`).toBeLessThan(1e-3);
            });
            expect(await answer.textContent(), where).toBe(want.answer);
            const valid = await page.locator('[data-testid=valid]').textContent();
            expect(valid!.startsWith(want.valid ? 'valid' : 'not valid'), where).toBe(true);
          }
        }
      }
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    }
  });
});
