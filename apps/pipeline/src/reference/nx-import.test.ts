// An imported checkpoint under Nx: `nx run pipeline:train` must not restore an older cached train output over it,
// and the report of the imported model follows. In a temporary copy of the workspace (node_modules linked).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCheckpoint, stripCompilePrefix, writeTorchZip } from '@trm/reference';
import { decodeSafetensors } from '@trm/tensor-core';
import { workspaceRoot } from '../workspace.ts';

const root = workspaceRoot();
const SKIP = new Set(['node_modules', 'artifacts', '.nx', '.git', 'bench', 'coverage']);
const ENV = { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_ISOLATE_PLUGINS: 'false', NX_TUI: 'false', TRM_QUIET: '1', TRM_ARTIFACTS: '', CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' };
let ws = '';

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { cwd: ws, encoding: 'utf8', env: ENV });
  const out = `${r.stdout}\n${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${out}`);
  return out;
}
const nx = (...args: string[]) => run(process.execPath, [path.join(ws, 'node_modules/nx/dist/bin/nx.js'), ...args]);
const trm = (...args: string[]) => run(process.execPath, ['--import', 'tsx', 'apps/pipeline/src/main.ts', ...args]);
const model = () => decodeSafetensors(new Uint8Array(fs.readFileSync(path.join(ws, 'artifacts/sudoku-tiny/train/model.safetensors'))), 'model').tensors;

beforeAll(() => {
  ws = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-nx-import-'));
  for (const name of fs.readdirSync(root)) {
    if (SKIP.has(name) || name.startsWith('.scratch')) continue;
    fs.cpSync(path.join(root, name), path.join(ws, name), { recursive: true, filter: (src) => !src.includes(`${path.sep}node_modules`) });
  }
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(ws, 'node_modules'));
});

afterAll(() => { if (ws) fs.rmSync(ws, { recursive: true, force: true }); });

describe('import-checkpoint and the Nx cache', () => {
  it('nx run pipeline:train keeps an imported model instead of restoring the cached training, and report uses it', () => {
    nx('run', 'pipeline:train', '--config', 'sudoku-tiny');
    const trained = model();
    // another model of the same arch: the trained one with lm_head doubled, as a reference checkpoint
    const other = Object.fromEntries(Object.entries(trained).map(([k, t]) => [`_orig_mod.${k}`, k.endsWith('lm_head.weight') ? { ...t, data: (t.data as Float32Array).map((v) => v * 2) } : t]));
    const file = path.join(ws, 'step_99');
    fs.writeFileSync(file, writeTorchZip(other, { archive: 'step_99' }));
    trm('import-checkpoint', '--config', 'sudoku-tiny', file);
    const imported = stripCompilePrefix(readCheckpoint(new Uint8Array(fs.readFileSync(file)), file).tensors);
    const bits = (d: Float32Array) => Array.from(new Uint32Array(d.buffer, d.byteOffset, d.length));
    expect(bits(model()['model.inner.lm_head.weight'].data as Float32Array)).toEqual(bits(imported['model.inner.lm_head.weight'].data as Float32Array));

    const out = nx('run', 'pipeline:report', '--config', 'sudoku-tiny');
    expect(out).not.toMatch(/nx run pipeline:train[^\n]*\[local cache\]/);
    expect(bits(model()['model.inner.lm_head.weight'].data as Float32Array)).toEqual(bits(imported['model.inner.lm_head.weight'].data as Float32Array));
    const status = trm('status', '--config', 'sudoku-tiny');
    expect(status).toMatch(/train\s+up to date \[imported from .*step_99 \(sha256 [0-9a-f]{12}…\)\]/);
    expect(fs.existsSync(path.join(ws, 'artifacts/sudoku-tiny/report/report.md'))).toBe(true);
  });
});
