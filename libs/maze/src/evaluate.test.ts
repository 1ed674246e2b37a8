import { describe, expect, it } from 'vitest';
import type { ExamplePrediction } from '@trm/dataset';
import { maze } from './maze.ts';
import { parseMaze } from './cells.ts';
import { checkPath } from './evaluate.ts';

// 4x4 maze; the shortest path S -> G has 2 `o` cells, a detour around the wall has more.
//   S . . .        S o . .
//   # # . .   ->   # # . .   etc.
const rows = ['S   ', '  # ', '  # ', 'G   '];
const input = parseMaze(rows.join(''), 4, 4, 'in');
const grid = (lines: string[]) => parseMaze(lines.join(''), 4, 4, 'pred');
const shortest = grid(['S   ', 'o # ', 'o # ', 'G   ']);

describe('checkPath', () => {
  it('accepts the shortest path as valid and optimal', () => {
    expect(checkPath(input, shortest)).toEqual({ valid: true, optimal: true, pathCells: 2, shortestCells: 2, reason: '' });
  });

  it('a longer connected path is valid but not optimal', () => {
    const detour = grid(['Sooo', '  #o', '  #o', 'Gooo']);
    expect(checkPath(input, detour)).toMatchObject({ valid: true, optimal: false, pathCells: 8 });
  });

  it('a broken path, a stray mark, a moved wall or a missing goal are invalid', () => {
    expect(checkPath(input, grid(['S   ', 'o # ', '  # ', 'G   '])).reason).toBe('the o cells do not connect S to G');
    expect(checkPath(input, grid(['S  o', 'o # ', 'o # ', 'G   '])).reason).toBe('1 o cells off the S-G path');
    expect(checkPath(input, grid(['S   ', 'o o ', 'o # ', 'G   '])).reason).toBe('cell 6 changed');
    expect(checkPath(input, grid(['S   ', 'o # ', 'o # ', 'o   '])).valid).toBe(false);
    expect(checkPath(input, grid(['S   ', 'o # ', 'o # ', 'G   '].map((l) => l.replace('S', 'o')))).valid).toBe(false);
  });

  it('a prediction with no path at all is invalid', () => {
    expect(checkPath(input, input)).toMatchObject({ valid: false, optimal: false, pathCells: 0 });
  });
});

describe('maze.evaluate', () => {
  const canvas = { rows: 4, cols: 4 };
  const example = (pred: string[], index: number): ExamplePrediction => {
    const enc = maze.encode({ input, output: shortest, role: 'test' }, canvas);
    const preds = maze.encode({ input, output: grid(pred), role: 'test' }, canvas).labels;
    return { index, group: index, puzzleIdentifier: 0, inputs: enc.inputs, labels: enc.labels, preds, qHalt: 0 };
  };

  it('reports exact, valid and optimal rates and the mean excess', () => {
    const preds = [
      example(['S   ', 'o # ', 'o # ', 'G   '], 0), // exact
      example(['Sooo', '  #o', '  #o', 'Gooo'], 1), // valid, 6 cells too long
      example(['S   ', 'o # ', '  # ', 'G   '], 2), // broken
      example(['S   ', '  # ', '  # ', 'G   '], 3), // no path
    ];
    const { metrics } = maze.evaluate(preds, {}, null);
    expect(metrics).toEqual({
      maze_examples: 4,
      maze_exact_accuracy: 0.25,
      valid_path_rate: 0.5,
      optimal_path_rate: 0.25,
      mean_path_excess: 3,
    });
  });

  it('treats PAD or out-of-vocabulary tokens inside the maze as invalid', () => {
    const p = example(['S   ', 'o # ', 'o # ', 'G   '], 0);
    const preds = p.preds.slice();
    preds[3] = 0;
    expect(maze.evaluate([{ ...p, preds }], {}, null).metrics.valid_path_rate).toBe(0);
    preds[3] = 9;
    expect(maze.evaluate([{ ...p, preds }], {}, null).metrics.valid_path_rate).toBe(0);
  });

  it('needs evaluate.rows/cols for non-square canvases', () => {
    const p = example(['S   ', 'o # ', 'o # ', 'G   '], 0);
    const wide = { ...p, inputs: new Uint8Array(12), labels: new Uint8Array(12), preds: new Uint8Array(12) };
    expect(() => maze.evaluate([wide], {}, null)).toThrow(/12 tokens is not a square canvas/);
    expect(() => maze.evaluate([wide], { rows: 2, cols: 5 }, null)).toThrow(/= 10 but sequences have 12 tokens/);
  });
});

describe('render', () => {
  it('renderText draws rows of characters', () => {
    expect(maze.renderText(shortest)).toBe('S   \no # \no # \nG   ');
  });

  it('renderSvg colours cells, marks S/G and outlines wrong cells in red', () => {
    const wrong = new Uint8Array(16);
    wrong[5] = 1;
    const svg = maze.renderSvg(shortest, { wrong, title: 'a <maze>', cellSize: 10 });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="40" height="60"')).toBe(true);
    expect(svg).toContain('a &lt;maze&gt;');
    expect(svg.match(/fill="#2b2b2b"/g)).toHaveLength(2); // walls
    expect(svg.match(/fill="#f2a12e"/g)).toHaveLength(2); // path
    expect(svg.match(/stroke="#e0201b"/g)).toHaveLength(1);
    expect(svg).toContain('>S</text>');
    expect(svg).toContain('>G</text>');
    expect(() => maze.renderSvg(shortest, { wrong: new Uint8Array(3) })).toThrow(/wrong has 3 entries/);
  });
});
