import { describe, expect, it } from 'vitest';
import { bfs, shortestPath } from './bfs.ts';
import { GOAL, PATH, START, WALL, findUnique, mazeToString, parseMaze } from './cells.ts';
import { generateMaze, type GeneratorOptions } from './generator.ts';
import { checkPath } from './evaluate.ts';

const small: GeneratorOptions = {
  rows: 11, cols: 11, algorithm: 'carve', minPathLength: 20, uniquePath: false, loopFraction: 0.03, wallDensity: 0.37, maxAttempts: 200,
};

describe('bfs', () => {
  // S at top-left, G at bottom-left, a wall forces the detour through the right column
  const maze = parseMaze(['S   ', '### ', 'G   '].join(''), 3, 4, 'hand-made');

  it('finds the shortest distance and path', () => {
    const s = findUnique(maze, START, 'x');
    const g = findUnique(maze, GOAL, 'x');
    const result = bfs(maze, s);
    expect(result.dist[g]).toBe(8);
    expect(shortestPath(result, g)).toEqual([0, 1, 2, 3, 7, 11, 10, 9, 8]);
    expect(result.dist[4]).toBe(-1); // a wall
  });

  it('counts shortest paths (capped at 2)', () => {
    const open = parseMaze(['S  ', '   ', '  G'].join(''), 3, 3, 'open');
    const r = bfs(open, 0);
    expect(r.count[8]).toBe(2); // 6 paths, capped
    expect(r.count[2]).toBe(1);
  });
});

describe('generateMaze', () => {
  for (const algorithm of ['carve', 'random'] as const) {
    it(`${algorithm}: long enough shortest paths, label = input + BFS path`, () => {
      const opts = { ...small, algorithm, minPathLength: algorithm === 'random' ? 14 : 20 };
      for (let seed = 0; seed < 20; seed++) {
        const m = generateMaze(opts, seed);
        expect(m.pathLength).toBeGreaterThanOrEqual(opts.minPathLength);
        const s = findUnique(m.input, START, 'gen');
        const g = findUnique(m.input, GOAL, 'gen');
        expect(bfs(m.input, s).dist[g] + 1).toBe(m.pathLength);
        const check = checkPath(m.input, m.output);
        expect(check.optimal).toBe(true);
        expect(m.output.cells.filter((v) => v === PATH).length).toBe(m.pathLength - 2);
        expect(m.input.cells.includes(PATH)).toBe(false);
      }
    });
  }

  it('30x30 hard mazes reach 110 cells', () => {
    const m = generateMaze({ ...small, rows: 30, cols: 30, minPathLength: 110 }, 7);
    expect(m.pathLength).toBeGreaterThanOrEqual(110);
    expect(m.input.cells.length).toBe(900);
  });

  it('is deterministic per seed and differs across seeds', () => {
    const a = generateMaze(small, 42);
    const b = generateMaze(small, 42);
    const c = generateMaze(small, 43);
    expect(mazeToString(a.output)).toBe(mazeToString(b.output));
    expect(mazeToString(a.input)).not.toBe(mazeToString(c.input));
  });

  it('unique_path keeps only mazes with one shortest path', () => {
    for (let seed = 0; seed < 10; seed++) {
      const m = generateMaze({ ...small, uniquePath: true, loopFraction: 0.2, minPathLength: 12 }, seed);
      const s = findUnique(m.input, START, 'gen');
      expect(bfs(m.input, s).count[findUnique(m.input, GOAL, 'gen')]).toBe(1);
    }
  });

  it('gives up with a clear error when the minimum cannot be met', () => {
    expect(() => generateMaze({ ...small, rows: 4, cols: 4, minPathLength: 17, maxAttempts: 5 }, 1)).toThrow(
      /no 4x4 maze with a shortest path of >= 17 cells in 5 attempts/,
    );
  });

  it('carve opens only a few walls beyond the perfect maze', () => {
    const m = generateMaze({ ...small, rows: 30, cols: 30, minPathLength: 2, loopFraction: 0 }, 3);
    // a perfect maze on 15x15 nodes: 225 nodes + 224 passages open, the rest walls
    expect(m.input.cells.filter((v) => v !== WALL).length).toBe(449);
  });
});
