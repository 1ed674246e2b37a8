import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RawPuzzle, SourceIO } from '@trm/dataset';
import { textLines } from '@trm/dataset';
import { createRng } from '@trm/augment';
import { boardSpec } from './board.ts';
import { huggingfaceUrl, SUDOKU_EXTREME } from './fetch.ts';
import { sudoku } from './lib.ts';
import { isValidSolution, respectsGivens } from './solver.ts';
import { applyTransform, identityTransform, sampleTransform } from './transform.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const dataDir = join(repoRoot, '..', 'shared', 'data', 'sudoku');

/** A SourceIO over real files plus in-memory ones (`virtual`), recording downloads and log lines. */
function fakeIO(virtual: Record<string, string> = {}) {
  const logs: string[] = [];
  const downloads: string[] = [];
  const options: { sha256?: string; name?: string; hint?: string }[] = [];
  const io: SourceIO = {
    async download(url, opts = {}) { downloads.push(url); options.push(opts); return `virtual:${url.split('/').pop()}`; },
    async readText(path) { return path in virtual ? virtual[path] : readFileSync(path, 'utf8'); },
    async readBytes(path) { return path in virtual ? new TextEncoder().encode(virtual[path]) : new Uint8Array(readFileSync(path)); },
    readLines: (path, opts) => textLines(path in virtual ? virtual[path] : readFileSync(path, 'utf8'), path, opts),
    async listDir(path) { return readdirSync(path).sort(); },
    async exists(path) { return path in virtual || existsSync(path); },
    join: (...parts) => join(...parts),
    progress: () => ({ tick() {}, done() {} }),
    log: (m) => { logs.push(m); },
  };
  return { io, logs, downloads, options };
}

/** .npy bytes (format 1.0) for a small integer array. */
function npy(descr: '|u1' | '<i4', shape: number[], values: number[]): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const body = descr === '|u1' ? Uint8Array.from(values) : new Uint8Array(Int32Array.from(values).buffer);
  const out = new Uint8Array(10 + header.length + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  out.set(body, 10 + header.length);
  return out;
}

const digits = (p: RawPuzzle): string => Array.from(p.examples[0].input.cells).join('');
const checkPuzzles = (puzzles: RawPuzzle[], n = 9): void => {
  for (const p of puzzles) {
    const { input, output } = p.examples[0];
    expect(isValidSolution(output!.cells, boardSpec(n))).toBe(true);
    expect(respectsGivens(input.cells, output!.cells)).toBe(true);
  }
};
const csvPath = join(dataDir, 'sudoku-extreme-train-1k.csv');
const csvLines = readFileSync(csvPath, 'utf8').trim().split('\n');

describe('csv source', () => {
  it('reads the Sudoku-Extreme 1k sample and subsamples deterministically', async () => {
    const { io } = fakeIO();
    const all = await sudoku.fetch({ source: 'csv', train_files: [csvPath], dedupe: false }, io);
    expect(all).toHaveLength(1000);
    expect(all.every((p) => p.split === 'train' && p.source === csvPath)).toBe(true);
    expect(digits(all[0]).replace(/0/g, '.')).toBe(csvLines[1].split(',')[0]);
    checkPuzzles(all);
    const a = await sudoku.fetch({ source: 'csv', train_files: [csvPath], subsample_size: 50, seed: 1 }, io);
    const b = await sudoku.fetch({ source: 'csv', train_files: [csvPath], subsample_size: 50, seed: 1 }, io);
    const c = await sudoku.fetch({ source: 'csv', train_files: [csvPath], subsample_size: 50, seed: 2 }, io);
    expect(a).toHaveLength(50);
    expect(a.map(digits)).toEqual(b.map(digits));
    expect(a.map(digits)).not.toEqual(c.map(digits));
  });

  it('keeps the source column and filters by rating when the file has one', async () => {
    const solved = join(dataDir, 'magictour-top1465-solved.csv');
    const { io } = fakeIO();
    const test = await sudoku.fetch({ source: 'csv', test_files: [solved], test_subsample_size: 20 }, io);
    expect(test).toHaveLength(20);
    expect(test[0].source).toBe('puzzles3_magictour_top1465');
    checkPuzzles(test);
    const rated = 'question,answer,rating\n' + csvLines.slice(1, 6).map((l, i) => `${l},${i * 10}`).join('\n');
    const fake = fakeIO({ 'rated.csv': rated });
    const kept = await sudoku.fetch({ source: 'csv', train_files: ['rated.csv'], min_rating: 20 }, fake.io);
    expect(kept.map((p) => p.rating)).toEqual([20, 30, 40]);
  });

  it('drops test puzzles equivalent to a train puzzle', async () => {
    const spec = boardSpec(9);
    const [q, a] = csvLines[1].split(',');
    const t = sampleTransform(spec, createRng(3), true, identityTransform(spec));
    const enc = (cells: Uint8Array): string => Array.from(cells).join('');
    const cellsOf = (s: string): Uint8Array => Uint8Array.from(s, (ch) => (ch === '.' ? 0 : Number(ch)));
    const copy = `${enc(applyTransform(cellsOf(q), t, spec))},${enc(applyTransform(cellsOf(a), t, spec))}`;
    const fake = fakeIO({ 'train.csv': csvLines.slice(0, 4).join('\n'), 'test.csv': ['question,answer', copy, csvLines[9]].join('\n') });
    const puzzles = await sudoku.fetch({ source: 'csv', train_files: ['train.csv'], test_files: ['test.csv'] }, fake.io);
    const test = puzzles.filter((p) => p.split === 'test');
    expect(test).toHaveLength(1);
    expect(digits(test[0]).replace(/0/g, '.')).toBe(csvLines[9].split(',')[0]);
    expect(fake.logs.join('\n')).toMatch(/dropped 1 of 2 test puzzles/);
    const kept = await sudoku.fetch({ source: 'csv', train_files: ['train.csv'], test_files: ['test.csv'], dedupe: false }, fake.io);
    expect(kept.filter((p) => p.split === 'test')).toHaveLength(2);
  });

  it('warns about and counts puzzles with several solutions, keeping the answer the file gives', async () => {
    const [q, a] = csvLines[1].split(',');
    const open = '.'.repeat(40) + q.slice(40); // half the givens gone: many solutions, the file's answer one of them
    const fake = fakeIO({ 'amb.csv': `question,answer\n${q},${a}\n${open},${a}\n` });
    const puzzles = await sudoku.fetch({ source: 'csv', train_files: ['amb.csv'] }, fake.io);
    expect(puzzles).toHaveLength(2);
    expect(fake.logs.join('\n')).toContain('amb.csv: warning: 1 of 2 puzzles have several solutions (rows 3); kept, with the file\'s answer as their label');
  });

  it('an empty test split: no test files is allowed (train-only data), dedupe emptying the test split is refused', async () => {
    const [q, a] = csvLines[1].split(',');
    const body = `question,answer\n${q},${a}\n`;
    const none = fakeIO({ 'train.csv': body });
    const trainOnly = await sudoku.fetch({ source: 'csv', train_files: ['train.csv'], test_files: [] }, none.io);
    expect(trainOnly.map((p) => p.split)).toEqual(['train']);
    expect(none.logs.join('\n')).toContain('no test files (fetch.test_files is empty): the test split is empty');
    // the same file as train and test: every test puzzle is a train puzzle
    const same = fakeIO({ 'train.csv': body, 'test.csv': body });
    await expect(sudoku.fetch({ source: 'csv', train_files: ['train.csv'], test_files: ['test.csv'] }, same.io))
      .rejects.toThrow('sudoku fetch: all 1 test puzzles are equivalent to train puzzles (the same puzzle up to a Sudoku symmetry), so the test split would be empty; ');
  });

  it('names the file, row and field of bad input', async () => {
    const [q, a] = csvLines[1].split(',');
    const bad = async (body: string, extra: Record<string, unknown> = {}): Promise<unknown> =>
      sudoku.fetch({ source: 'csv', train_files: ['bad.csv'], ...extra }, fakeIO({ 'bad.csv': body }).io);
    await expect(bad(`question,answer\n${q},${a}\n${q.slice(1)},${a}`)).rejects.toThrow(/bad\.csv row 3 field "question": expected 81 characters .* found 80/);
    await expect(bad(`question,answer\n${q.replace('.', 'x')},${a}`)).rejects.toThrow(/bad\.csv row 2 field "question": position \d+: bad character 'x'/);
    await expect(bad(`question,answer\n${q},${a.slice(0, 80)}1`)).rejects.toThrow(/bad\.csv row 2 field "answer": answer is not a completed 9x9 Sudoku/);
    await expect(bad(`question,answer\n${q},${a},extra`)).rejects.toThrow(/bad\.csv row 2: expected 2 fields/);
    await expect(bad(`puzzle,solution\n${q},${a}`)).rejects.toThrow('bad.csv: row 1 is not a Sudoku CSV header: no "question" column (found: puzzle, solution; expected question,answer[,rating,source])');
    await expect(bad('question,answer\n')).rejects.toThrow('bad.csv: no puzzles (a header and no rows)');
    await expect(bad('')).rejects.toThrow('bad.csv: empty file (expected a header row with question,answer columns)');
    // a file that is not a CSV: its first line is not echoed
    const secret = 'root:$6$saltsalt$0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ:19000:0:99999:7:::';
    const msg = await bad(`${secret}\ndaemon:*:19000:0:99999:7:::`).then(() => '', (e: Error) => e.message);
    expect(msg).toMatch(/^bad\.csv: row 1 is not a Sudoku CSV header: no "question" column \(found: 1 field\(s\) that are not column names, \d+ characters;/);
    expect(msg).not.toContain('saltsalt');
    await expect(bad(`question,answer\n${q},${a}`, { min_rating: 3 })).rejects.toThrow(/min_rating is 3 but the file has no "rating" column/);
    await expect(bad(`question,answer,rating\n${q},${a},hard`)).rejects.toThrow(/row 2 field "rating": expected a non-negative integer, found "hard"/);
  });
});

describe('tdoku source', () => {
  it('reads a magictour subset (comments skipped) and labels it with the solver', async () => {
    const text = readFileSync(join(dataDir, 'magictour-top1465.txt'), 'utf8').split('\n').slice(0, 12).join('\n');
    const solved = readFileSync(join(dataDir, 'magictour-top1465-solved.csv'), 'utf8').split('\n');
    const { io } = fakeIO({ 'magic.txt': text });
    const puzzles = await sudoku.fetch({ source: 'tdoku', train_files: ['magic.txt'] }, io);
    expect(puzzles).toHaveLength(10); // 12 lines minus 2 comment lines
    puzzles.forEach((p, i) => {
      expect(Array.from(p.examples[0].output!.cells).join('')).toBe(solved[i + 1].split(',')[2]);
      expect(p.rating).toBeGreaterThanOrEqual(0);
    });
  });

  it('rejects puzzles with 0 or several solutions with a count of each, or skips them', async () => {
    const fixture = join(dataDir, 'tdoku-test-puzzles.txt');
    const lines = readFileSync(fixture, 'utf8').trim().split('\n');
    const zero = lines.filter((l) => l.split(':')[1] === '0').length;
    const many = lines.filter((l) => Number(l.split(':')[1]) > 1).length;
    const { io, logs } = fakeIO();
    await expect(sudoku.fetch({ source: 'tdoku', train_files: [fixture] }, io)).rejects.toThrow(
      new RegExp(`${zero} puzzles with no solution \\(rows .*\\), ${many} with several solutions \\(rows .*\\); ${lines.length - zero - many} with a unique solution`),
    );
    const kept = await sudoku.fetch({ source: 'tdoku', train_files: [fixture], on_invalid: 'skip' }, io);
    expect(kept).toHaveLength(lines.length - zero - many);
    expect(logs.join('\n')).toMatch(/skipped the invalid ones/);
  });

  it('names the row of a malformed line', async () => {
    const { io } = fakeIO({ 'short.txt': '# header\n' + '.'.repeat(80) + '\n' });
    await expect(sudoku.fetch({ source: 'tdoku', train_files: ['short.txt'] }, io)).rejects.toThrow(/short\.txt row 2: expected 81 characters/);
  });
});

describe('reference-npy source', () => {
  it('reads the reference builder folder: the same puzzles as the decoded CSV', async () => {
    const { io, logs } = fakeIO();
    const puzzles = await sudoku.fetch({ source: 'reference-npy', path: join(dataDir, 'reference-npy'), dedupe: false }, io);
    expect(puzzles).toHaveLength(1000);
    expect(logs.join('\n')).toMatch(/no test split/);
    puzzles.slice(0, 50).forEach((p, i) => {
      const [q, a] = csvLines[i + 1].split(',');
      expect(digits(p).replace(/0/g, '.')).toBe(q);
      expect(Array.from(p.examples[0].output!.cells).join('')).toBe(a);
    });
  });

  it('keeps only the original (first puzzle) of each group of an augmented reference folder', async () => {
    // a synthetic folder as the reference writes it with num_aug 1: 2 groups x 2 puzzles, test split with 1 puzzle
    const [q0, a0] = csvLines[1].split(',');
    const [q1, a1] = csvLines[2].split(',');
    const tokens = (s: string): number[] => Array.from(s, (ch) => (ch === '.' ? 1 : Number(ch) + 1));
    const rows = [[q0, a0], [q0, a0], [q1, a1], [q1, a1]]; // taking puzzles 0 and 1 would give [q0, q0]
    const files: Record<string, Uint8Array> = {
      'ref/train/all__inputs.npy': npy('|u1', [4, 81], rows.flatMap(([q]) => tokens(q))),
      'ref/train/all__labels.npy': npy('|u1', [4, 81], rows.flatMap(([, a]) => tokens(a))),
      'ref/train/all__puzzle_indices.npy': npy('<i4', [5], [0, 1, 2, 3, 4]),
      'ref/train/all__group_indices.npy': npy('<i4', [3], [0, 2, 4]),
      'ref/test/all__inputs.npy': npy('|u1', [1, 81], tokens(q1)),
      'ref/test/all__labels.npy': npy('|u1', [1, 81], tokens(a1)),
    };
    const { io, logs } = fakeIO();
    const bytesIO: SourceIO = { ...io, exists: async (p) => p in files, readBytes: async (p) => files[p] };
    // the test puzzle is the second train puzzle: dedupe would empty the test split, which is refused
    await expect(sudoku.fetch({ source: 'reference-npy', path: 'ref' }, bytesIO)).rejects.toThrow(/all 1 test puzzles are equivalent to train puzzles .* set fetch\.dedupe=false/);
    const puzzles = await sudoku.fetch({ source: 'reference-npy', path: 'ref', dedupe: false }, bytesIO);
    expect(puzzles.filter((p) => p.split === 'train').map((p) => digits(p).replace(/0/g, '.'))).toEqual([q0, q1]);
    expect(puzzles.filter((p) => p.split === 'test')).toHaveLength(1);
    expect(logs.join('\n')).not.toMatch(/dropped/);
    files['ref/train/all__labels.npy'] = npy('|u1', [4, 81], rows.flatMap(([q]) => tokens(q)));
    await expect(sudoku.fetch({ source: 'reference-npy', path: 'ref' }, bytesIO)).rejects.toThrow(/ref\/train\/all__labels\.npy row 0: token 1 at position \d+ \(expected 2\.\.10/);
  });

  it('rejects a folder without splits and a board size that does not match', async () => {
    const { io } = fakeIO();
    await expect(sudoku.fetch({ source: 'reference-npy', path: dataDir }, io)).rejects.toThrow(/neither train\/all__inputs\.npy nor test/);
    await expect(sudoku.fetch({ source: 'reference-npy', path: join(dataDir, 'reference-npy'), size: 4 }, io)).rejects.toThrow(/all__inputs\.npy: expected shape \[examples, 16\]/);
  });
});

describe('huggingface source', () => {
  it('builds the dataset URLs, downloads through SourceIO and filters by rating', async () => {
    const body = 'source,question,answer,rating\n' + csvLines.slice(1, 5).map((l, i) => `hf_sample,${l},${i}`).join('\n');
    const { io, downloads, options } = fakeIO({ 'virtual:train.csv': body, 'virtual:test.csv': 'source,question,answer,rating\n' + `x,${csvLines[20]},9` });
    const puzzles = await sudoku.fetch({ source: 'huggingface', min_rating: 2 }, io);
    // the default dataset at its pinned commit, with the sha256 of train.csv at that commit
    const rev = SUDOKU_EXTREME.revision;
    expect(downloads).toEqual([huggingfaceUrl('sapientinc/sudoku-extreme', 'train.csv', rev), huggingfaceUrl('sapientinc/sudoku-extreme', 'test.csv', rev)]);
    expect(downloads[0]).toBe('hf://datasets/sapientinc/sudoku-extreme@58942f96baeb572ca3127e2a9e9c70f330783d6b/train.csv');
    expect(options[0]).toMatchObject({ sha256: '64b46674db0148e0d73a16346dadeb2b1c00824d3fca3f85b2ae7037f6b4b38e', name: 'sapientinc__sudoku-extreme__58942f96baeb__train.csv' });
    expect(options[0].hint).toMatch(/fetch\.source=csv with fetch\.train_files\/test_files/);
    expect(options[1].sha256).toBeUndefined();
    // another revision or repository has no pin unless the config gives one
    await sudoku.fetch({ source: 'huggingface', revision: 'v2', train_sha256: 'A'.repeat(64) }, io);
    expect(downloads[2]).toBe('hf://datasets/sapientinc/sudoku-extreme@v2/train.csv');
    expect(options[2].sha256).toBe('a'.repeat(64));
    expect(options[3].sha256).toBeUndefined();
    await expect(sudoku.fetch({ source: 'huggingface', train_sha256: 'abc' }, io)).rejects.toThrow('fetch.train_sha256: expected 64 hex digits, got "abc"');
    expect(puzzles.filter((p) => p.split === 'train').map((p) => p.rating)).toEqual([2, 3]);
    expect(puzzles.filter((p) => p.split === 'test')).toHaveLength(1);
    expect(puzzles[0].source).toBe('hf_sample');
  });
});

describe('fetch config errors', () => {
  it('names the key and what was expected', async () => {
    const { io } = fakeIO();
    await expect(sudoku.fetch({ source: 'kaggle' }, io)).rejects.toThrow(/fetch\.source: expected one of generator, huggingface/);
    await expect(sudoku.fetch({ size: 5 }, io)).rejects.toThrow(/fetch\.size: expected 4, 6, 8 or 9/);
    await expect(sudoku.fetch({ train_size: -1 }, io)).rejects.toThrow(/fetch\.train_size: expected an integer >= 0/);
    await expect(sudoku.fetch({ source: 'csv' }, io)).rejects.toThrow(/needs at least one file/);
    await expect(sudoku.fetch({ source: 'reference-npy' }, io)).rejects.toThrow(/fetch\.path/);
  });
});
