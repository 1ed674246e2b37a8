// The report of a real sudoku-tiny run (fetch -> augment -> encode -> train -> evaluate on the cpu backend, ~30 s).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createModel, type ArchConfig } from '@trm/trm';
import { runStageCommand } from '../main.ts';
import { markdownToHtml } from './testing/markdown-html.ts';
import { assertSvgFile } from './testing/xml.ts';

let artifacts: string;
let dir: string;
let md: string;

describe('report of a sudoku-tiny run', () => {
  beforeAll(async () => {
    artifacts = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-report-e2e-'));
    process.env.TRM_ARTIFACTS = artifacts;
    process.env.TRM_QUIET = '1';
    const results = await runStageCommand('report', { config: 'sudoku-tiny', set: ['train.lr=0.002'] });
    dir = results[results.length - 1].dir;
    md = fs.readFileSync(path.join(dir, 'report.md'), 'utf8');
  });
  afterAll(() => {
    delete process.env.TRM_ARTIFACTS;
    fs.rmSync(artifacts, { recursive: true, force: true });
  });

  it('links only images that exist and parse', () => {
    const html = markdownToHtml(md);
    expect(html.images.length).toBeGreaterThan(8);
    for (const src of html.images) {
      expect(src).toMatch(/^img\//);
      assertSvgFile(fs.readFileSync(path.join(dir, src), 'utf8'), src);
    }
  });

  it('reports the evaluate metrics and the parameter count of the trained model', () => {
    const metrics = JSON.parse(fs.readFileSync(path.join(artifacts, 'sudoku-tiny/evaluate/metrics.json'), 'utf8'));
    expect(md).toContain(`| exact accuracy | ${(100 * metrics.exact_accuracy).toFixed(1)}% |`);
    expect(md).toContain(`| token accuracy | ${(100 * metrics.token_accuracy).toFixed(1)}% |`);
    const { arch } = JSON.parse(fs.readFileSync(path.join(artifacts, 'sudoku-tiny/train/state.json'), 'utf8')) as { arch: ArchConfig };
    const model = createModel(arch, 0);
    const n = model.parameterCount();
    model.dispose();
    expect(md).toContain(`${n.model.toLocaleString('en-US')} (model) + ${n.puzzleEmb.toLocaleString('en-US')} (puzzle embeddings)`);
    expect(md).toContain('Sudoku-Extreme');
    // 4x4 grids against the paper's 9x9
    expect(md).toContain('| tokens per example (seq_len) | 16 | 81 | 0.2× |');
    expect(md).toContain('npx nx run pipeline:report --config sudoku-tiny --set train.lr=0.002');
  });

  it('draws sudoku grids through the dataset lib and the per-step predictions', () => {
    expect(md).toMatch(/### Test example 0 \(group 0\)/);
    expect(md).toContain('### Test example 0: prediction after each supervision step');
    expect(fs.existsSync(path.join(dir, 'img/example-0-step-2.svg'))).toBe(true);
  });

  it('draws the givens of the puzzle apart from the cells to fill in (the input\'s digits are the target\'s givens)', () => {
    const digits = (f: string, cls: string) => fs.readFileSync(path.join(dir, f), 'utf8').split(`class="digit ${cls}"`).length - 1;
    const givens = digits('img/example-0-input.svg', 'given');
    expect(givens).toBeGreaterThan(0);
    expect(digits('img/example-0-target.svg', 'given')).toBe(givens);
    expect(digits('img/example-0-target.svg', 'filled')).toBe(16 - givens);
    // a given the model changed is drawn as wrong, never as a given
    expect(digits('img/example-0-pred.svg', 'given')).toBeLessThanOrEqual(givens);
  });

  it('says which threads trained the model', () => {
    expect(md).toMatch(/^\| Training threads \| (\d+ worker threads?|the main thread only) (\(recorded by the train stage\)|as configured \(`runtime\.workers` in the config; the train stage recorded no worker count\)) \|$/m);
  });

  it('writes the same report again when forced (deterministic)', async () => {
    await runStageCommand('report', { config: 'sudoku-tiny', set: ['train.lr=0.002'], only: true, force: true });
    // the git state is an input too (other work may be committed meanwhile): compare everything else line by line
    const gitLines = /^\| Git commit \||^git checkout |^The report target runs/;
    const lines = (text: string) => text.split('\n').filter((l) => !gitLines.test(l));
    expect(lines(fs.readFileSync(path.join(dir, 'report.md'), 'utf8'))).toEqual(lines(md));
  });
});
