import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseNpy } from '@trm/dataset';
import { encodeNpy, npyHeader } from './index.ts';
import type { NpyDescr } from './index.ts';

const DATA = fileURLToPath(new URL('../../../../shared/data/', import.meta.url));
const npyFiles = ['sudoku', 'maze'].flatMap((set) => {
  const root = path.join(DATA, set, 'reference-npy');
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root).filter((s) => fs.statSync(path.join(root, s)).isDirectory())
    .flatMap((split) => fs.readdirSync(path.join(root, split)).filter((f) => f.endsWith('.npy')).map((f) => path.join(set, 'reference-npy', split, f)));
});

const DESCR: Record<string, NpyDescr> = { uint8: '|u1', int32: '<i4' };

describe('npy writing', () => {
  it('finds the reference builder files', () => {
    expect(npyFiles.length).toBeGreaterThanOrEqual(15);
  });

  it.each(npyFiles)('%s: re-encoding its array gives the file byte for byte', (rel) => {
    const bytes = new Uint8Array(fs.readFileSync(path.join(DATA, rel)));
    const arr = parseNpy(bytes, rel);
    const ours = encodeNpy(DESCR[arr.dtype], arr.shape, arr.data);
    expect(ours.length).toBe(bytes.length);
    expect(Buffer.compare(ours, bytes), 'bytes differ').toBe(0);
  });

  it('pads every header so that the data starts on a 64-byte boundary, as numpy does', () => {
    for (const shape of [[], [0], [7], [4_000_000, 900], [12345678901, 2], [1, 2, 3, 4, 5, 6, 7, 8]]) {
      const h = npyHeader('<f4', shape);
      expect(h.length % 64).toBe(0);
      expect(h[h.length - 1]).toBe(0x0a);
      const text = new TextDecoder('latin1').decode(h.subarray(10));
      expect(text).toContain(`'shape': (${shape.length === 1 ? `${shape[0]},` : shape.join(', ')}), }`);
    }
    expect(new TextDecoder().decode(npyHeader('|u1', [3]).subarray(10)).trimEnd()).toBe("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }");
    expect(() => encodeNpy('<i4', [3], new Int32Array(2))).toThrow(/8 bytes of data for <i4 \[3\]/);
  });
});
