import { describe, expect, it } from 'vitest';
import { arc } from './index.ts';
import { ARC_PALETTE } from './render.ts';

const g = { rows: 2, cols: 3, cells: Uint8Array.from([0, 1, 2, 7, 8, 9]) };

describe('arc render', () => {
  it('renders text one row per line', () => {
    expect(arc.renderText(g)).toBe('012\n789');
  });

  it('renders SVG in the official palette and marks wrong cells', () => {
    expect(ARC_PALETTE).toEqual(['#000000', '#0074D9', '#FF4136', '#2ECC40', '#FFDC00', '#AAAAAA', '#F012BE', '#FF851B', '#7FDBFF', '#870C25']);
    const svg = arc.renderSvg(g, { wrong: Uint8Array.from([0, 1, 0, 0, 0, 1]), title: 'a<b', cellSize: 10 });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="30" height="34"')).toBe(true);
    for (const c of [0, 1, 2, 7, 8, 9]) expect(svg).toContain(`fill="${ARC_PALETTE[c]}"`);
    expect(svg.match(/class="wrong"/g)).toHaveLength(2);
    expect(svg).toContain('a&lt;b');
    expect(arc.renderSvg(g)).not.toContain('wrong');
    expect(() => arc.renderSvg(g, { wrong: new Uint8Array(2) })).toThrow(/expected 6/);
  });
});
