// `trm web`: builds the browser app of apps/web with Vite (once per code version, cached in
// node_modules/.cache/trm-web/<hash>/, the newest 3 kept) and serves it on 127.0.0.1 with one config's model file, dataset facts and
// test puzzles. Everything the page computes runs in the browser.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import type { DatasetLib } from '@trm/dataset';
import { pidAlive } from '../io/temporaries.ts';
import type { ResolvedConfig } from '../config/load.ts';
import { encodeContext, modelFile, SolveUsageError } from './solve.ts';
import { testPuzzles } from './test-puzzles.ts';

/** Sources the bundle is made of: a change in any of them is a new build. */
const BUNDLE_SOURCES = ['apps/web', 'libs/dataset/src', 'libs/augment/src', 'libs/sudoku/src', 'libs/maze/src', 'libs/arc/src', 'libs/trm/src', 'libs/tensor-core/src'];

function listFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : listFiles(p);
    return /\.test\.ts$/.test(e.name) ? [] : [p];
  }).sort();
}

/** Hash of the app's sources, the libs it bundles and the lock file (the npm packages it bundles). */
export function bundleKey(root: string): string {
  const h = createHash('sha256');
  for (const file of [...BUNDLE_SOURCES.flatMap((d) => listFiles(path.join(root, d))), path.join(root, 'package-lock.json')]) {
    h.update(path.relative(root, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  return h.digest('hex').slice(0, 16);
}

/** The built app's folder: from the cache when this code version was built before, else built now (atomically). */
export async function buildWebApp(root: string, log: (line: string) => void): Promise<{ dir: string; built: boolean; seconds: number }> {
  const cache = path.join(root, 'node_modules', '.cache', 'trm-web');
  const dir = path.join(cache, bundleKey(root));
  if (fs.existsSync(path.join(dir, 'index.html'))) return { dir, built: false, seconds: 0 };
  log(`web: building the app with Vite (once per code version) into ${path.relative(root, dir)}`);
  const t0 = performance.now();
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const { build } = await import('vite');
  try {
    await build({ configFile: path.join(root, 'apps/web/vite.config.ts'), build: { outDir: tmp, emptyOutDir: true }, logLevel: 'warn' });
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  pruneBuilds(cache, KEPT_BUILDS);
  return { dir, built: true, seconds: (performance.now() - t0) / 1000 };
}

/** Builds of other code versions kept in the cache (switching branches back and forth reuses them). */
export const KEPT_BUILDS = 3;

/**
 * Keeps the `keep` newest builds in `cache` (node_modules/.cache/trm-web, made by buildWebApp only) and removes the
 * older ones, and the temporary folders of builds whose process is gone.
 */
export function pruneBuilds(cache: string, keep: number): string[] {
  const removed: string[] = [];
  const entries = fs.readdirSync(cache, { withFileTypes: true }).filter((e) => e.isDirectory());
  for (const e of entries) {
    const tmp = /\.tmp-(\d+)$/.exec(e.name);
    if (tmp && !pidAlive(Number(tmp[1]))) {
      fs.rmSync(path.join(cache, e.name), { recursive: true, force: true });
      removed.push(e.name);
    }
  }
  const builds = entries
    .filter((e) => /^[0-9a-f]{16}$/.test(e.name))
    .map((e) => ({ name: e.name, mtime: fs.statSync(path.join(cache, e.name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const b of builds.slice(keep)) {
    fs.rmSync(path.join(cache, b.name), { recursive: true, force: true });
    removed.push(b.name);
  }
  return removed;
}

/** Bytes of every file of a built app (the bench reports them). */
export function bundleSizes(dir: string): { file: string; bytes: number }[] {
  return listFiles(dir).map((f) => ({ file: path.relative(dir, f), bytes: fs.statSync(f).size }));
}

/** What the page fetches as session.json (apps/web/src/session.ts). */
export async function webSession(config: ResolvedConfig, lib: DatasetLib, artifacts: string, model: string | null, root: string): Promise<Record<string, unknown>> {
  const stored = encodeContext(config, artifacts);
  return {
    config: config.name,
    dataset: lib.name,
    encode: config.encode,
    evaluate: config.evaluate,
    identifiers: stored.identifiers ?? ['<blank>'],
    identifiersKnown: stored.identifiers !== null,
    aux: stored.aux,
    testPuzzles: await testPuzzles(lib, artifacts, config.name, 200),
    model: model ? 'model.safetensors' : null,
    modelName: model ? path.relative(root, path.resolve(model)) || model : null,
    trainCommand: `npm run trm -- train --config ${config.name}`,
  };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm', '.json': 'application/json', '.svg': 'image/svg+xml', '.safetensors': 'application/octet-stream',
};

/** A static server of `dir` plus session.json and model.safetensors; resolves once it listens. */
export function serveWebApp(dir: string, session: Record<string, unknown>, model: string | null, port: number): Promise<http.Server> {
  const sessionText = JSON.stringify(session);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, type: string, body: string | Buffer | fs.ReadStream) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      if (typeof body === 'string' || Buffer.isBuffer(body)) res.end(body);
      else body.pipe(res);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain', 'GET only\n');
    if (url.pathname === '/session.json') return send(200, TYPES['.json'], sessionText);
    if (url.pathname === '/model.safetensors') {
      if (!model) return send(404, 'text/plain', 'no model for this config\n');
      return send(200, TYPES['.safetensors'], fs.createReadStream(model));
    }
    const rel = decodeURIComponent(url.pathname === '/' ? '/index.html' : url.pathname);
    const file = path.resolve(dir, `.${rel}`);
    if (!file.startsWith(dir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) return send(404, 'text/plain', 'not found\n');
    send(200, TYPES[path.extname(file)] ?? 'application/octet-stream', fs.createReadStream(file));
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(e.code === 'EADDRINUSE' ? new SolveUsageError(`--port ${port}: the port is in use; pick another one, or 0 for a free one`) : e));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

export interface WebOptions {
  port: number;
  checkpoint?: string;
}

/** `trm web`: build (cached), serve, and print the address; the server runs until it is closed. */
export async function startWeb(config: ResolvedConfig, lib: DatasetLib, opts: WebOptions, io: { root: string; artifacts: string; log: (line: string) => void }): Promise<{ server: http.Server; url: string }> {
  if (!lib.solving) throw new SolveUsageError(`dataset ${lib.name} cannot solve typed puzzles (its DatasetLib has no \`solving\`)`);
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new SolveUsageError(`--port ${opts.port}: expected a port number 0-65535 (0 = a free one)`);
  let model: string | null = null;
  try {
    model = modelFile(config, io.artifacts, opts.checkpoint, io.root);
  } catch (e) {
    if (opts.checkpoint) throw e;
    io.log(`web: ${(e as Error).message}; the page can open a model file instead`);
  }
  const app = await buildWebApp(io.root, io.log);
  io.log(app.built ? `web: built in ${app.seconds.toFixed(1)} s` : `web: the app of this code version is built (${path.relative(io.root, app.dir)})`);
  const session = await webSession(config, lib, io.artifacts, model, io.root);
  const server = await serveWebApp(app.dir, session, model, opts.port);
  const { port } = server.address() as { port: number };
  const url = `http://127.0.0.1:${port}/`;
  io.log(`web: serving ${config.name} on ${url} (Ctrl-C to stop)`);
  return { server, url };
}
