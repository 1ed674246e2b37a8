import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download } from './download.ts';

// A fixture served on 127.0.0.1 that honours Range and drops the connection halfway through the
// first full-body response it sends for /flaky.bin.
process.env.TRM_QUIET = '1';
const fixture = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 31 + 7) % 251);
const fixtureSha = createHash('sha256').update(fixture).digest('hex');
const requests: { url: string; range: string | undefined; host?: string; auth?: string }[] = [];
const served: { body: Uint8Array | null } = { body: null };
const failures = { left: 0 };
let dropped = false;
let server: http.Server;
let base = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push({ url: req.url!, range: req.headers.range, host: req.headers.host, auth: req.headers.authorization });
    if (req.url === '/missing.bin') { res.writeHead(404); res.end(); return; }
    // a Hub-like endpoint: resolve/<revision>/<file> redirects to a CDN on another host name (localhost)
    const hub = /^\/datasets\/org\/(gated|data)\/resolve\/([^/]+)\/(.+)$/.exec(req.url!);
    if (hub) {
      if (hub[1] === 'gated' && req.headers.authorization !== 'Bearer good-token') { res.writeHead(401); res.end(); return; }
      const port = (server.address() as AddressInfo).port;
      res.writeHead(302, { location: `http://localhost:${port}/cdn/${hub[2]}/${hub[3]}`, 'x-repo-commit': hub[2] });
      res.end();
      return;
    }
    if (req.url!.startsWith('/cdn/') && served.body) { res.writeHead(200, { 'content-length': String(served.body.length) }); res.end(served.body); return; }
    if (req.url === '/flaky500.bin' && failures.left > 0) { failures.left--; res.writeHead(503); res.end(); return; }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    const body = fixture.subarray(start);
    res.writeHead(m ? 206 : 200, { 'content-length': String(body.length), ...(m ? { 'content-range': `bytes ${start}-${fixture.length - 1}/${fixture.length}` } : {}) });
    if (req.url === '/flaky.bin' && !dropped) {
      dropped = true;
      res.write(body.subarray(0, 80_000), () => setTimeout(() => req.socket.destroy(), 20));
      return;
    }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const cacheDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'trm-dl-'));

describe('download', () => {
  it('resumes with Range after a dropped connection and checks the sha256', async () => {
    const dir = cacheDir();
    requests.length = 0;
    const file = await download(`${base}/flaky.bin`, { cacheDir: dir, sha256: fixtureSha, retryDelayMs: 10 });
    expect(fs.readFileSync(file).equals(fixture)).toBe(true);
    expect(path.dirname(file)).toBe(dir);
    expect(requests.length).toBe(2);
    expect(requests[0].range).toBeUndefined();
    expect(requests[1].range).toMatch(/^bytes=\d+-$/);
    expect(Number(/\d+/.exec(requests[1].range!)![0])).toBeGreaterThan(0);
    expect(fs.readdirSync(dir)).toEqual(['flaky.bin']);
  });

  it('serves a second call from the cache without a request', async () => {
    const dir = cacheDir();
    await download(`${base}/a.bin`, { cacheDir: dir, name: 'fixture.bin' });
    requests.length = 0;
    const file = await download(`${base}/a.bin`, { cacheDir: dir, name: 'fixture.bin', sha256: fixtureSha });
    expect(requests.length).toBe(0);
    expect(path.basename(file)).toBe('fixture.bin');
  });

  it('fails on a checksum mismatch and keeps nothing', async () => {
    const dir = cacheDir();
    await expect(download(`${base}/b.bin`, { cacheDir: dir, sha256: '0'.repeat(64), retryDelayMs: 10 })).rejects.toThrow('does not match the expected');
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('does not retry a 404', async () => {
    requests.length = 0;
    await expect(download(`${base}/missing.bin`, { cacheDir: cacheDir(), retryDelayMs: 10 })).rejects.toThrow('failed after 1 attempt: HTTP 404');
    expect(requests.length).toBe(1);
  });

  it('retries a 503 and succeeds', async () => {
    failures.left = 2;
    requests.length = 0;
    const file = await download(`${base}/flaky500.bin`, { cacheDir: cacheDir(), retryDelayMs: 5 });
    expect(fs.readFileSync(file).equals(fixture)).toBe(true);
    expect(requests.filter((r) => r.url === '/flaky500.bin')).toHaveLength(3);
  });
});

describe('download of hf:// files with the Hub conventions', () => {
  const body = new TextEncoder().encode('question,answer\n1234,1234\n');
  const sha = createHash('sha256').update(body).digest('hex');
  const env = () => ({ HF_ENDPOINT: base, HF_TOKEN: 'good-token' });

  it('resolves <HF_ENDPOINT>/datasets/<repo>/resolve/<revision>/<path>, sends HF_TOKEN to the Hub only, checks the pinned sha256', async () => {
    served.body = body;
    requests.length = 0;
    const dir = cacheDir();
    const file = await download('hf://datasets/org/gated@0123abc/data/train.csv', { cacheDir: dir, sha256: sha, env: env() });
    expect(fs.readFileSync(file, 'utf8')).toBe('question,answer\n1234,1234\n');
    expect(requests.map((r) => r.url)).toEqual(['/datasets/org/gated/resolve/0123abc/data/train.csv', '/cdn/0123abc/data/train.csv']);
    expect(requests[0].auth).toBe('Bearer good-token');
    expect(requests[1].host).toMatch(/^localhost:/);
    expect(requests[1].auth).toBeUndefined(); // the token never goes to another host
    expect(fs.existsSync(`${file}.sha256`)).toBe(false); // pinned: nothing to record
    await expect(download('hf://datasets/org/data@0123abc/x.csv', { cacheDir: cacheDir(), sha256: '0'.repeat(64), env: env(), retryDelayMs: 5 }))
      .rejects.toThrow(/failed after 1 attempt: sha256 [0-9a-f]{64} does not match the expected 0{64}/);
  });

  it('records the sha256 of a file without a pin and checks the cached file against it', async () => {
    served.body = body;
    const dir = cacheDir();
    const file = await download('hf://datasets/org/data@main/t.csv', { cacheDir: dir, env: env() });
    expect(fs.readFileSync(`${file}.sha256`, 'utf8').trim()).toBe(sha);
    fs.writeFileSync(file, 'tampered');
    requests.length = 0;
    await download('hf://datasets/org/data@main/t.csv', { cacheDir: dir, env: env() }); // the damaged copy is fetched again
    expect(fs.readFileSync(file, 'utf8')).toBe('question,answer\n1234,1234\n');
    expect(requests).toHaveLength(2);
    served.body = new TextEncoder().encode('changed upstream');
    fs.rmSync(file);
    await expect(download('hf://datasets/org/data@main/t.csv', { cacheDir: dir, env: env() })).rejects.toThrow(/does not match the expected .* \(recorded in t\.csv\.sha256 by the first download\)/);
  });

  it('fails at once, with the hint, on what retrying cannot fix: no token, an unknown host, a refused connection, offline mode', async () => {
    const hint = 'use fetch.source=csv';
    const opts = (extra: Record<string, string> = {}) => ({ cacheDir: cacheDir(), hint, retryDelayMs: 5, env: { HF_ENDPOINT: base, ...extra } });
    requests.length = 0;
    await expect(download('hf://datasets/org/gated@main/a.csv', opts())).rejects.toThrow(
      /failed after 1 attempt: HTTP 401 Unauthorized: the repository is gated or private; set HF_TOKEN to a token that may read it; use fetch\.source=csv$/,
    );
    expect(requests).toHaveLength(1);
    await expect(download('hf://datasets/org/gated@main/a.csv', opts({ HF_TOKEN: 'bad' }))).rejects.toThrow(/\(HF_TOKEN is set: does it have access\?\)/);
    await expect(download('hf://datasets/org/data@main/a.csv', opts({ HF_ENDPOINT: 'http://no-such-host.invalid' }))).rejects.toThrow(/^download hf:\/\/datasets\/org\/data@main\/a\.csv \(http:\/\/no-such-host\.invalid\/datasets\/org\/data\/resolve\/main\/a\.csv\) failed after 1 attempt: .*; use fetch\.source=csv$/);
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await expect(download('hf://datasets/org/data@main/a.csv', opts({ HF_ENDPOINT: `http://127.0.0.1:${port}` }))).rejects.toThrow(/failed after 1 attempt: fetch failed: .*ECONNREFUSED/);
    requests.length = 0;
    await expect(download('hf://datasets/org/data@main/a.csv', opts({ HF_HUB_OFFLINE: '1' }))).rejects.toThrow(/HF_HUB_OFFLINE is set and .*a\.csv is not downloaded yet; use fetch\.source=csv$/);
    expect(requests).toHaveLength(0);
  });
});
