// @trm/reference must run in a browser (the web app opens .pt and .safetensors files): its sources import no Node
// module and take only types from @trm/tensor-core (whose runtime needs Node's tfjs backends).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = path.dirname(fileURLToPath(import.meta.url));
const sources = fs.readdirSync(SRC, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('testing'));

describe('browser safety of @trm/reference', () => {
  it.each(sources)('%s imports no Node module and no runtime of another @trm lib', (file) => {
    const text = fs.readFileSync(path.join(SRC, file), 'utf8');
    const imports = [...text.matchAll(/^import\s+(type\s+)?[^'"]*?from\s+'([^']+)'/gm)].map((m) => ({ typeOnly: !!m[1], spec: m[2] }));
    const bad = imports.filter(({ typeOnly, spec }) => spec.startsWith('node:') || ['fs', 'path', 'os', 'child_process', 'worker_threads'].includes(spec) || (spec.startsWith('@trm/') && !typeOnly));
    expect(bad).toEqual([]);
    expect(imports.every(({ spec }) => spec.startsWith('./') || spec.startsWith('@trm/') || spec === 'fflate'), file).toBe(true);
  });
});
