// HTTP(S) downloader for SourceIO.download: cache folder, resume with Range, retries with
// backoff, sha256 check, progress. A finished file is only ever renamed into place complete.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sha256File } from '../artifacts/hash.ts';
import { createProgress, log } from './progress.ts';

export interface DownloadOptions {
  sha256?: string;
  name?: string;
  cacheDir: string;
  retries?: number;
  /** base delay between retries in ms (doubled each time) */
  retryDelayMs?: number;
}

function cacheName(url: string, name?: string): string {
  const base = name ?? decodeURIComponent(new URL(url).pathname.split('/').filter(Boolean).pop() ?? 'download');
  if (base.includes('/') || base.includes('\\') || base.startsWith('.')) throw new Error(`download ${url}: bad cache name ${JSON.stringify(base)}`);
  return base;
}

async function attempt(url: string, part: string, label: string): Promise<void> {
  const have = fs.existsSync(part) ? fs.statSync(part).size : 0;
  const res = await fetch(url, { headers: have > 0 ? { Range: `bytes=${have}-` } : {}, redirect: 'follow' });
  if (res.status === 416) return; // already complete
  if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status} ${res.statusText}`), { fatal: res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429 });
  const resumed = res.status === 206;
  if (!resumed && have > 0) fs.truncateSync(part, 0);
  const start = resumed ? have : 0;
  const len = Number(res.headers.get('content-length') ?? NaN);
  const total = Number.isFinite(len) ? start + len : 0;
  const bar = createProgress(label, total);
  bar.tick(start);
  const out = fs.createWriteStream(part, { flags: resumed ? 'a' : 'w' });
  const closed = new Promise<void>((resolve, reject) => { out.on('close', () => resolve()); out.on('error', reject); });
  try {
    if (!res.body) throw new Error('empty response body');
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      bar.tick(chunk.length);
    }
  } finally {
    out.end();
    await closed;
  }
  const got = fs.statSync(part).size;
  if (total && got !== total) throw new Error(`incomplete body: ${got} of ${total} bytes`);
  bar.done();
}

/** Downloads `url` into `cacheDir` (once) and returns the local path. */
export async function download(url: string, opts: DownloadOptions): Promise<string> {
  const proto = new URL(url).protocol;
  if (proto !== 'https:' && proto !== 'http:') throw new Error(`download ${url}: only http(s) URLs are supported`);
  fs.mkdirSync(opts.cacheDir, { recursive: true });
  const file = path.join(opts.cacheDir, cacheName(url, opts.name));
  const check = async (f: string) => {
    if (!opts.sha256) return;
    const h = await sha256File(f);
    if (h !== opts.sha256.toLowerCase()) throw Object.assign(new Error(`download ${url}: sha256 ${h} does not match the expected ${opts.sha256}`), { fatal: true });
  };
  if (fs.existsSync(file)) {
    try {
      await check(file);
      return file;
    } catch {
      fs.rmSync(file);
    }
  }
  const part = `${file}.part`;
  const retries = opts.retries ?? 5;
  let delay = opts.retryDelayMs ?? 1000;
  for (let i = 0; ; i++) {
    try {
      await attempt(url, part, `download ${path.basename(file)}`);
      try {
        await check(part);
      } catch (e) {
        fs.rmSync(part, { force: true });
        throw e;
      }
      fs.renameSync(part, file);
      return file;
    } catch (e) {
      const err = e as Error & { fatal?: boolean; cause?: Error };
      const msg = err.cause ? `${err.message}: ${err.cause.message}` : err.message;
      if (err.fatal || i >= retries) throw new Error(`download ${url} failed after ${i + 1} attempt(s): ${msg}`);
      log(`download ${url}: ${msg}; retrying in ${delay} ms (attempt ${i + 2}/${retries + 1}, resuming from ${fs.existsSync(part) ? fs.statSync(part).size : 0} bytes)`);
      await new Promise((r) => setTimeout(r, delay));
      delay *= 2;
    }
  }
}
