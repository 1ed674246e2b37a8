// The learning check of bfloat16 training (issue 19): a config trained and evaluated with runtime.precision fp32 and
// with bf16, for several seeds each (the seed also generates the data, so each pair sees the same puzzles), through
// the pipeline's own CLI. Prints each run's exact accuracy on the test split, its training time, and the mean of
// each precision. A learning check, not a speed figure; not part of npm test (sudoku-quick: about 1.5 min per run
// on 2 quiet cores, 6 runs).
// Both precisions run on the wasm backend (bf16 needs it with the native addon; fp32 on the same backend so that
// only the precision differs), with the config's worker count.
// Usage: node --import tsx bench/learning-bf16.ts [--config sudoku-quick] [--seeds 0,1,2] [--keep DIR]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const config = option('--config', 'sudoku-quick');
const seeds = option('--seeds', '0,1,2').split(',').map(Number);
if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`--seeds: expected non-negative integers, got ${option('--seeds', '')}`);
const keep = args.includes('--keep') ? resolve(option('--keep', '')) : null;
const dir = keep ?? mkdtempSync(join(tmpdir(), 'trm-learning-'));
mkdirSync(dir, { recursive: true }); // --keep DIR: made when missing
const base = join(root, 'configs', `${config}.json`);

interface Run { precision: string; seed: number; exact: number; trainSeconds: number }
const runs: Run[] = [];
try {
  for (const seed of seeds) {
    for (const precision of ['fp32', 'bf16']) {
      const name = `learn-${config}-${precision}-s${seed}`;
      const file = join(dir, `${name}.json`);
      writeFileSync(file, JSON.stringify({ extends: base, seed, runtime: { backend: 'wasm', precision } }, null, 2));
      const t0 = Date.now();
      execFileSync(process.execPath, ['--import', 'tsx', join(root, 'apps/pipeline/src/main.ts'), 'evaluate', '-c', file], {
        cwd: root,
        env: { ...process.env, TRM_ARTIFACTS: join(dir, 'artifacts'), NX_DAEMON: 'false' },
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      const seconds = (Date.now() - t0) / 1000;
      const metrics = JSON.parse(readFileSync(join(dir, 'artifacts', name, 'evaluate', 'metrics.json'), 'utf8')) as { exact_accuracy: number; count: number };
      const run = { precision, seed, exact: metrics.exact_accuracy, trainSeconds: seconds };
      runs.push(run);
      console.log(`${config} seed ${seed} ${precision}: exact accuracy ${(100 * run.exact).toFixed(1)}% of ${metrics.count} test puzzles (pipeline ${seconds.toFixed(0)} s)`);
    }
  }
  const mean = (p: string) => runs.filter((r) => r.precision === p).reduce((s, r) => s + r.exact, 0) / seeds.length;
  const [m32, m16] = [mean('fp32'), mean('bf16')];
  console.log(`mean exact accuracy over seeds ${seeds.join(', ')}: fp32 ${(100 * m32).toFixed(2)}%, bf16 ${(100 * m16).toFixed(2)}% ` +
    `(bf16 - fp32 = ${(100 * (m16 - m32)).toFixed(2)} points)`);
} finally {
  if (!keep) rmSync(dir, { recursive: true, force: true });
}
