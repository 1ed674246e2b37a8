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
const requests: { url: string; range: string | undefined }[] = [];
let dropped = false;
let server: http.Server;
let base = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push({ url: req.url!, range: req.headers.range });
    if (req.url === '/missing.bin') { res.writeHead(404); res.end(); return; }
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
    await expect(download(`${base}/missing.bin`, { cacheDir: cacheDir(), retryDelayMs: 10 })).rejects.toThrow('failed after 1 attempt(s): HTTP 404');
    expect(requests.length).toBe(1);
  });
});
