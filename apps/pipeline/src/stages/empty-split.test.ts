// Train-only data (fetch.test_size=0, no test files, a reference folder without test/): an empty test split flows
// through every stage and the report says that nothing was evaluated. An empty train split stops at train.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runStageCommand } from '../main.ts';

process.env.TRM_QUIET = '1';

describe('an empty split', () => {
  it('an empty test split flows through every stage; the report says nothing was evaluated', async () => {
    const artifacts = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-empty-'));
    process.env.TRM_ARTIFACTS = artifacts;
    try {
      const results = await runStageCommand('report', { config: 'sudoku-tiny', set: ['fetch.test_size=0'] });
      expect(results.map((r) => r.stage)).toEqual(['fetch', 'augment', 'encode', 'train', 'evaluate', 'report']);
      const rows = (stage: string, file: string) => results.find((r) => r.stage === stage)!.manifest.files[file].rows;
      expect(rows('augment', 'test.arrow')).toBe(0);
      expect(rows('encode', 'test.arrow')).toBe(0);
      expect(rows('evaluate', 'predictions.arrow')).toBe(0);
      const metrics = JSON.parse(fs.readFileSync(path.join(artifacts, 'sudoku-tiny', 'evaluate', 'metrics.json'), 'utf8'));
      expect(metrics).toMatchObject({ count: 0, exact_accuracy: null });
      const report = fs.readFileSync(path.join(artifacts, 'sudoku-tiny', 'report', 'report.md'), 'utf8');
      expect(report).toContain('The test split is empty (train-only data), so nothing was evaluated');
      expect(report).toMatch(/\| exact accuracy \| n\/a \|/);
    } finally {
      delete process.env.TRM_ARTIFACTS;
    }
  });

  it('an empty train split stops at train, saying so', async () => {
    const artifacts = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-empty-'));
    process.env.TRM_ARTIFACTS = artifacts;
    try {
      await expect(runStageCommand('train', { config: 'sudoku-tiny', set: ['fetch.train_size=0'] })).rejects.toThrow(/^train: the train split is empty \(fetch gave no train puzzles: see the fetch section of .*sudoku-tiny\.json\); there is nothing to train on$/);
      expect(fs.existsSync(path.join(artifacts, 'sudoku-tiny', 'train'))).toBe(false);
    } finally {
      delete process.env.TRM_ARTIFACTS;
    }
  });
});
