import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RawPuzzle, SourceIO } from '@trm/dataset';
import { parseNpy, textLines } from '@trm/dataset';
import { maze } from './maze.ts';
import { PATH, START, GOAL, findUnique, mazeToString } from './cells.ts';
import { bfs } from './bfs.ts';
import { checkPath } from './evaluate.ts';
import { hfUrl, parseMazeCsv } from './sources.ts';

// Real data lives in ../shared beside the repository (never copied into it).
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const shared = resolve(repoRoot, '../shared/data/maze');

/** A SourceIO over the local file system, paths relative to the repository root. */
function nodeIo(downloads: string[] = [], downloadTo?: (url: string) => string): SourceIO {
  const abs = (p: string) => resolve(repoRoot, p);
  return {
    download: async (url) => {
      downloads.push(url);
      if (!downloadTo) throw new Error('no network in tests');
      return downloadTo(url);
    },
    readText: async (p) => readFileSync(abs(p), 'utf8'),
    readBytes: async (p) => new Uint8Array(readFileSync(abs(p))),
    readLines: (p, opts) => textLines(readFileSync(abs(p), 'utf8'), p, opts),
    listDir: async (p) => readdirSync(abs(p)).sort(),
    exists: async (p) => existsSync(abs(p)),
    join: (...parts) => join(...parts),
    progress: () => ({ tick() {}, done() {} }),
    log: () => {},
  };
}

/** the real CSV files, parsed once for the tests that compare against them */
let csvPuzzles: Promise<RawPuzzle[]> | undefined;
const realCsv = () => (csvPuzzles ??= maze.fetch({ source: 'csv' }, nodeIo()));

function bySplit(puzzles: RawPuzzle[], split: string): RawPuzzle[] {
  return puzzles.filter((p) => p.split === split);
}

describe('csv source on the real Maze-Hard files', () => {
  it('parses 1000 + 1000 mazes whose labels are the input plus a BFS-shortest path', async () => {
    const puzzles = await realCsv();
    expect(bySplit(puzzles, 'train')).toHaveLength(1000);
    expect(bySplit(puzzles, 'test')).toHaveLength(1000);
    const lengths: number[] = [];
    for (const p of puzzles) {
      const { input, output } = p.examples[0];
      expect(input.rows * input.cols).toBe(900);
      const check = checkPath(input, output!);
      expect(check.optimal, `${p.id}: ${check.reason}`).toBe(true);
      const s = findUnique(input, START, p.id);
      const dist = bfs(input, s).dist[findUnique(input, GOAL, p.id)];
      expect(output!.cells.filter((v) => v === PATH).length).toBe(dist - 1);
      lengths.push(dist + 1);
    }
    expect(Math.min(...lengths)).toBeGreaterThanOrEqual(110); // Maze-Hard: at least 110 cells, S and G included
    expect(puzzles[0].id).toBe('train-000000');
    expect(puzzles[1000].id).toBe('test-000000');
  });

  it('keeps leading and trailing spaces (open cells)', async () => {
    const text = readFileSync(join(shared, 'maze-hard-test.csv'), 'utf8');
    const firstQuestion = text.split('\n')[1].split(',')[0];
    expect(firstQuestion.startsWith(' ')).toBe(true);
    const test = bySplit(await realCsv(), 'test');
    expect(mazeToString(test[0].examples[0].input)).toBe(firstQuestion);
    const limited = await maze.fetch({ source: 'csv', train_path: 'libs/maze/no-such.csv', test_limit: 1 }, nodeIo()).catch((e: Error) => e);
    expect(String(limited)).toMatch(/train file not found: libs\/maze\/no-such\.csv/);
  });
});

describe('reference-npy source', () => {
  it('equals the CSV decoded from it', async () => {
    const io = nodeIo();
    const fromNpy = await maze.fetch({ source: 'reference-npy' }, io);
    const fromCsv = await realCsv();
    expect(fromNpy).toHaveLength(2000);
    for (let i = 0; i < fromCsv.length; i++) {
      expect(fromNpy[i].id).toBe(fromCsv[i].id);
      expect(mazeToString(fromNpy[i].examples[0].input)).toBe(mazeToString(fromCsv[i].examples[0].input));
      expect(mazeToString(fromNpy[i].examples[0].output!)).toBe(mazeToString(fromCsv[i].examples[0].output!));
    }
  });

  it('maze.encode gives the reference builder\'s tokens (inputs and labels of every test maze)', async () => {
    const test = bySplit(await realCsv(), 'test');
    const read = (name: string) => parseNpy(new Uint8Array(readFileSync(join(shared, 'reference-npy/test', `all__${name}.npy`))), name);
    const inputs = read('inputs');
    const labels = read('labels');
    expect(inputs.shape).toEqual([1000, 900]);
    let mismatches = 0;
    test.forEach((p, i) => {
      const enc = maze.encode(p.examples[0], {});
      for (let j = 0; j < 900; j++) {
        if (enc.inputs[j] !== inputs.data[i * 900 + j] || enc.labels[j] !== labels.data[i * 900 + j]) mismatches++;
      }
    });
    expect(mismatches).toBe(0);
    expect(test).toHaveLength(1000);
    expect(maze.shape({})).toMatchObject({ vocabSize: 6, seqLen: 900, ignoreLabelId: 0 }); // as dataset.json
  });

  it('names the missing file', async () => {
    await expect(maze.fetch({ source: 'reference-npy', path: 'no/such/folder' }, nodeIo())).rejects.toThrow(
      /missing no\/such\/folder\/train\/all__inputs\.npy/,
    );
  });
});

describe('huggingface source', () => {
  it('builds the resolve URLs and parses what io.download returns', async () => {
    // a small file in the Hugging Face layout (source,question,answer,rating) made of real mazes
    const real = readFileSync(join(shared, 'maze-hard-test.csv'), 'utf8').split('\n').slice(1, 4);
    const dir = mkdtempSync(join(tmpdir(), 'maze-hf-'));
    const local = join(dir, 'hf.csv');
    writeFileSync(local, ['source,question,answer,rating', ...real.map((line, i) => `lehnert,${line},${100 + i}`)].join('\n'));
    const urls: string[] = [];
    try {
      const puzzles = await maze.fetch({ source: 'huggingface', test_limit: 2 }, nodeIo(urls, () => local));
      expect(urls).toEqual(['hf://datasets/sapientinc/maze-30x30-hard-1k@main/train.csv', 'hf://datasets/sapientinc/maze-30x30-hard-1k@main/test.csv']);
      await maze.fetch({ source: 'huggingface', revision: 'abc123', test_limit: 2 }, nodeIo(urls, () => local));
      expect(urls[2]).toBe('hf://datasets/sapientinc/maze-30x30-hard-1k@abc123/train.csv');
      expect(puzzles.map((p) => p.id)).toEqual(['train-000000', 'train-000001', 'train-000002', 'test-000000', 'test-000001']);
      expect(puzzles[0].source).toBe('lehnert');
      expect(puzzles.map((p) => p.rating)).toEqual([100, 101, 102, 100, 101]);
      expect(mazeToString(puzzles[1].examples[0].input)).toBe(real[1].split(',')[0]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(hfUrl('x.csv')).toBe('hf://datasets/sapientinc/maze-30x30-hard-1k@main/x.csv');
    expect(hfUrl('x.csv', 'abc123')).toBe('hf://datasets/sapientinc/maze-30x30-hard-1k@abc123/x.csv');
  });
});

describe('bad CSV input', () => {
  const size = { rows: 3, cols: 3 };
  const parse = (text: string) => parseMazeCsv(text, 'mazes.csv', 'train', size, 'csv:mazes.csv');

  // S  /##·/G  : the path runs right, down the last column and back left
  const q = 'S  ' + '## ' + 'G  ';
  const a = 'Soo' + '##o' + 'Goo';

  it('reads source and rating columns when present', () => {
    const [p] = parse(`source,question,answer,rating\nmine,${q},${a},7\n`);
    expect(p.source).toBe('mine');
    expect(p.rating).toBe(7);
    expect(checkPath(p.examples[0].input, p.examples[0].output!).optimal).toBe(true);
  });

  it('names file, row, field and the bad character', () => {
    expect(() => parse(`question,answer\n${q},${a}\nS  #x G  ,${a}\n`)).toThrow(
      /mazes\.csv row 3 field "question": bad character "x" at offset 4 \(row 1, col 1\)/,
    );
  });

  it('rejects a trimmed maze (wrong length)', () => {
    expect(() => parse(`question,answer\n${q.trimEnd()},${a}\n`)).toThrow(
      /mazes\.csv row 2 field "question": expected 9 characters \(3x3 maze\), found 7/,
    );
  });

  it('rejects an answer that moves a wall', () => {
    expect(() => parse(`question,answer\n${q},Soo#ooGoo\n`)).toThrow(/mazes\.csv row 2 answer: offset 4 changes "#" into "o"/);
  });

  it('rejects a missing start and a missing column', () => {
    expect(() => parse(`question,answer\n${q.replace('S', ' ')},${a}\n`)).toThrow(/mazes\.csv row 2 question: no "S" cell/);
    expect(() => parse(`question,solution\n${q},${a}\n`)).toThrow(/mazes\.csv: missing column "answer"/);
  });

  it('rejects an answer that is not a path from S to G, e.g. no path at all', () => {
    expect(() => parse(`question,answer\n${q},${q}\n`)).toThrow('mazes.csv row 2 answer: not a path from S to G (the o cells do not connect S to G); the answer marks the S-G path with "o"');
    expect(() => parse(`question,answer\n${q},Soo##oG o\n`)).toThrow(/mazes\.csv row 2 answer: not a path from S to G/);
  });

  it('catches mazes read with the wrong rows/cols (the CSV has no row breaks) and names the size that fits', async () => {
    const real = readFileSync(resolve(shared, 'maze-hard-train.csv'), 'utf8').split('\n').slice(0, 3).join('\n');
    const io = { ...nodeIo(), exists: async () => true, readLines: (p: string, o: { maxLineBytes: number }) => textLines(real, p, o) } as SourceIO;
    await expect(maze.fetch({ source: 'csv', rows: 20, cols: 45, train_path: 'wrapped.csv', test_path: 'wrapped.csv' }, io)).rejects.toThrow(
      /wrapped\.csv row 2 answer: not a path from S to G \(.*\); .* as 30x30 mazes it would be valid: set fetch\.rows and fetch\.cols to the mazes' size \(20x45 now\)/,
    );
    const ok = await maze.fetch({ source: 'csv', rows: 30, cols: 30, train_path: 'wrapped.csv', test_path: 'wrapped.csv' }, io);
    expect(ok).toHaveLength(4);
  });

  it('refuses a header-only file and stops at a line longer than two mazes', async () => {
    const files: Record<string, string> = { 'h.csv': 'question,answer\n', 'long.csv': `question,answer\n${q},${a}\n${'#'.repeat(5000)}\n` };
    const io = { ...nodeIo(), exists: async () => true, readLines: (p: string, o: { maxLineBytes: number; what?: string }) => textLines(files[p], p, o) } as SourceIO;
    await expect(maze.fetch({ source: 'csv', rows: 3, cols: 3, train_path: 'h.csv', test_path: 'h.csv' }, io)).rejects.toThrow('h.csv: no rows (a header and nothing else)');
    await expect(maze.fetch({ source: 'csv', rows: 3, cols: 3, train_path: 'long.csv', test_path: 'long.csv' }, io)).rejects.toThrow(
      'long.csv line 3: longer than 1,064 bytes, more than a CSV row of two 3x3 mazes can be; stopped reading there (is it the right file?)',
    );
  });

  it('rejects bad config values by key', async () => {
    await expect(maze.fetch({ source: 'ftp' }, nodeIo())).rejects.toThrow(/fetch\.source must be one of generator, huggingface, csv, reference-npy/);
    await expect(maze.fetch({ source: 'generator', rows: 2.5 }, nodeIo())).rejects.toThrow(/fetch\.rows must be an integer/);
    await expect(maze.fetch({ source: 'csv', train_path: 'missing.csv' }, nodeIo())).rejects.toThrow(/train file not found: missing\.csv/);
  });
});

describe('generator source', () => {
  it('is deterministic, unique across splits and honours the counts', async () => {
    const cfg = { source: 'generator', rows: 8, cols: 8, min_path_length: 10, train_count: 30, test_count: 10, seed: 5 };
    const a = await maze.fetch(cfg, nodeIo());
    const b = await maze.fetch(cfg, nodeIo());
    expect(a.map((p) => mazeToString(p.examples[0].output!))).toEqual(b.map((p) => mazeToString(p.examples[0].output!)));
    expect(bySplit(a, 'train')).toHaveLength(30);
    expect(bySplit(a, 'test')).toHaveLength(10);
    expect(new Set(a.map((p) => mazeToString(p.examples[0].input))).size).toBe(40);
    for (const p of a) expect(p.rating).toBeGreaterThanOrEqual(10);
    const c = await maze.fetch({ ...cfg, seed: 6 }, nodeIo());
    expect(mazeToString(c[0].examples[0].input)).not.toBe(mazeToString(a[0].examples[0].input));
  });
});
