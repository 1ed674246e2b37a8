// The pipeline's SourceIO on real files: errors that name the path, and CSV/text sources read as streams with a
// line-length limit (a 200 MB line stops with an error naming the file and the row, and nothing is written).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineTooLongError } from '@trm/dataset';
import { createSourceIO } from './source-io.ts';
import { runStageCommand } from '../main.ts';
import { workspaceRoot } from '../workspace.ts';

process.env.TRM_QUIET = '1';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-io-'));
const huge = path.join(dir, 'huge.csv');
const io = createSourceIO(dir, path.join(dir, '_downloads'));

beforeAll(() => {
  // a header and one 200 MB line without a line break, written in 1 MB chunks
  const fd = fs.openSync(huge, 'w');
  fs.writeSync(fd, 'question,answer\n');
  const chunk = Buffer.alloc(1 << 20, '1');
  for (let i = 0; i < 200; i++) fs.writeSync(fd, chunk);
  fs.closeSync(fd);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('SourceIO of the pipeline', () => {
  it('names the path and the problem: missing file, a folder, a file where a folder is expected', async () => {
    fs.mkdirSync(path.join(dir, 'folder'), { recursive: true });
    await expect(io.readText('nope.csv')).rejects.toThrow('nope.csv: not found');
    await expect(io.readText('folder')).rejects.toThrow('folder: is a folder, expected a file');
    await expect(io.readBytes('folder')).rejects.toThrow('folder: is a folder, expected a file');
    const drain = async (p: string) => { for await (const _ of io.readLines(p, { maxLineBytes: 10 })) { /* read */ } };
    await expect(drain('folder')).rejects.toThrow('folder: is a folder, expected a file');
    await expect(drain('nope.csv')).rejects.toThrow('nope.csv: not found');
    await expect(io.listDir('huge.csv')).rejects.toThrow('huge.csv: is a file, expected a folder');
  });

  it('stops a 200 MB line at the limit with an error naming the file and the line', async () => {
    let lines = 0;
    const err = await (async () => { for await (const _ of io.readLines('huge.csv', { maxLineBytes: 1200, what: 'a row' })) lines++; })().catch((e) => e);
    expect(err).toBeInstanceOf(LineTooLongError);
    expect(err.message).toBe('huge.csv line 2: longer than 1,200 bytes, more than a row can be; stopped reading there (is it the right file?)');
    expect(lines).toBe(1);
  });

  it('a Sudoku CSV, a tdoku list and a maze CSV of one huge line: a clear error, no artifact', async () => {
    const root = workspaceRoot();
    const list = path.join(dir, 'list.txt');
    fs.writeFileSync(list, `# a puzzle list\n${'1'.repeat(5 << 20)}`);
    const artifacts = path.join(dir, 'artifacts');
    process.env.TRM_ARTIFACTS = artifacts;
    try {
      const sets = {
        csv: ['fetch.source=csv', `fetch.train_files=["${huge}"]`],
        tdoku: ['fetch.source=tdoku', `fetch.train_files=["${list}"]`],
      };
      await expect(runStageCommand('fetch', { config: 'sudoku-tiny', set: sets.csv })).rejects.toThrow(`${huge} line 2: longer than 1,072 bytes, more than a Sudoku CSV row of a 4x4 board can be`);
      await expect(runStageCommand('fetch', { config: 'sudoku-tiny', set: sets.tdoku })).rejects.toThrow(`${list} line 2: longer than 1,072 bytes, more than a puzzle line of a 4x4 board can be`);
      await expect(runStageCommand('fetch', { config: 'maze-tiny', set: ['fetch.source=csv', `fetch.train_path=${huge}`, `fetch.test_path=${huge}`] }))
        .rejects.toThrow(`${huge} line 2: longer than 1,284 bytes, more than a CSV row of two 8x8 mazes can be`);
      for (const c of ['sudoku-tiny', 'maze-tiny']) expect(fs.existsSync(path.join(artifacts, c, 'fetch'))).toBe(false);
      expect(root).toBeTruthy();
    } finally {
      delete process.env.TRM_ARTIFACTS;
    }
  });
});
