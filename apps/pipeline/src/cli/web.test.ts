import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.ts';
import { configsDir, workspaceRoot } from '../workspace.ts';
import { bundleKey, pruneBuilds, serveWebApp, webSession } from './web.ts';

// The server of `trm web` without a browser: the session the page reads, the model bytes, the app's files and
// nothing else. (apps/web/e2e drives the whole app in Chromium.)

const root = workspaceRoot();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-web-'));
const app = path.join(tmp, 'app');
const model = path.join(tmp, 'model.safetensors');
let base = '';
let close: () => Promise<void> = async () => {};

beforeAll(async () => {
  fs.mkdirSync(path.join(app, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(app, 'index.html'), '<!doctype html><title>t</title>');
  fs.writeFileSync(path.join(app, 'assets', 'a.js'), 'export {};');
  fs.writeFileSync(path.join(tmp, 'secret.txt'), 'not served');
  fs.writeFileSync(model, Uint8Array.of(1, 2, 3, 4));
  const { config, dataset } = await loadConfig('sudoku-tiny', { dir: configsDir(root), root, sets: [] });
  const session = await webSession(config, dataset.lib, path.join(tmp, 'no-artifacts'), model, tmp);
  const server = await serveWebApp(app, session, model, 0);
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  close = () => new Promise((resolve) => server.close(() => resolve()));
});

afterAll(async () => {
  await close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('trm web server', () => {
  it('serves the session of the config: its dataset, encode section and how to train a model', async () => {
    const res = await fetch(`${base}/session.json`);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({
      config: 'sudoku-tiny', dataset: 'sudoku', encode: { size: 4 }, evaluate: expect.objectContaining({ batch_size: 8 }),
      identifiers: ['<blank>'], identifiersKnown: false, aux: null, testPuzzles: [],
      model: 'model.safetensors', modelName: 'model.safetensors', trainCommand: 'npm run trm -- train --config sudoku-tiny',
    });
  });
  it('serves the model file, the app and its assets with their types', async () => {
    expect(new Uint8Array(await (await fetch(`${base}/model.safetensors`)).arrayBuffer())).toEqual(Uint8Array.of(1, 2, 3, 4));
    const index = await fetch(`${base}/`);
    expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await index.text()).toContain('<title>t</title>');
    expect((await fetch(`${base}/assets/a.js`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  });
  it('serves nothing outside the app folder, and only GET', async () => {
    expect((await fetch(`${base}/../secret.txt`)).status).toBe(404);
    expect((await fetch(`${base}/%2e%2e/secret.txt`)).status).toBe(404);
    expect((await fetch(`${base}/nope.js`)).status).toBe(404);
    expect((await fetch(`${base}/session.json`, { method: 'POST' })).status).toBe(405);
  });
  it('keys the build on the sources of the app and the libs it bundles', () => {
    const key = bundleKey(root);
    expect(key).toMatch(/^[0-9a-f]{16}$/);
    expect(bundleKey(root)).toBe(key);
  });
  it('keeps the newest builds in the cache and removes older ones and dead builds\' temporaries, nothing else', () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-web-cache-'));
    try {
      const names = ['0000000000000001', '0000000000000002', '0000000000000003', '0000000000000004', '0000000000000005'];
      names.forEach((n, i) => {
        fs.mkdirSync(path.join(cache, n));
        fs.writeFileSync(path.join(cache, n, 'index.html'), '');
        fs.utimesSync(path.join(cache, n), 1000 + i, 1000 + i); // 0..05 is the newest
      });
      const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
      fs.mkdirSync(path.join(cache, `${names[0]}.tmp-${dead}`));
      fs.mkdirSync(path.join(cache, `${names[1]}.tmp-${process.pid}`)); // a build in progress
      fs.mkdirSync(path.join(cache, 'not-a-build'));
      expect(pruneBuilds(cache, 3).sort()).toEqual([names[0], names[1], `${names[0]}.tmp-${dead}`].sort());
      expect(fs.readdirSync(cache).sort()).toEqual([names[1] + `.tmp-${process.pid}`, names[2], names[3], names[4], 'not-a-build'].sort());
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });
  it('refuses a --port that is not one: one line naming it, exit status 2 (before any build)', () => {
    for (const port of ['abc', '70000', '-1']) {
      const r = spawnSync(path.join(root, 'node_modules', '.bin', 'trm'), ['web', '--config', 'sudoku-tiny', '--port', port], { cwd: tmp, env: { ...process.env, TRM_QUIET: '1' }, encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([`trm: --port ${port}: expected a port number 0-65535 (0 = a free one)`]);
    }
  });
});
