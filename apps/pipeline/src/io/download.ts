// HTTP(S) downloader for SourceIO.download: cache folder, resume with Range, retries with backoff for what a retry
// can fix (and none for what it cannot: a name that does not resolve, a refused connection, a 4xx, a bad
// certificate), sha256 check, progress. A finished file is only ever renamed into place complete.
// `hf://datasets/<owner>/<name>@<revision>/<path>` URLs follow the Hugging Face Hub's conventions (hub.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sha256File } from '../artifacts/hash.ts';
import { hubRequest, isHubUrl, type HubRequest } from './hub.ts';
import { createProgress, log } from './progress.ts';

export interface DownloadOptions {
  /** expected sha256 (hex); without one, the first download's hash is kept beside the file and checked after */
  sha256?: string;
  name?: string;
  cacheDir: string;
  retries?: number;
  /** base delay between retries in ms (doubled each time) */
  retryDelayMs?: number;
  /** what the user can do instead when the download fails (e.g. a local-file source that works offline) */
  hint?: string;
  /** the environment (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE); default process.env */
  env?: NodeJS.ProcessEnv;
}

function cacheName(url: string, name?: string): string {
  const base = name ?? decodeURIComponent(url.split(/[?#]/)[0].split('/').filter(Boolean).pop() ?? 'download');
  if (base.includes('/') || base.includes('\\') || base.startsWith('.')) throw new Error(`download ${url}: bad cache name ${JSON.stringify(base)}`);
  return base;
}

type Failure = Omit<Error, 'cause'> & { fatal?: boolean; cause?: Error & { code?: string } };

/** Network errors a retry cannot fix: the name does not resolve, the connection is refused, TLS is refused. */
const FATAL_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID', 'ERR_INVALID_URL']);

function httpError(res: Response, req: HubRequest): Failure {
  const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
  let why = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`;
  if (req.hub && (res.status === 401 || res.status === 403)) why += `: the repository is gated or private; set HF_TOKEN to a token that may read it${req.headers.Authorization ? ' (HF_TOKEN is set: does it have access?)' : ''}`;
  if (req.hub && res.status === 404) why += `: no such file at revision ${req.hub.revision} of ${req.hub.repo} on ${req.hub.endpoint}`;
  return Object.assign(new Error(why), { fatal: !retryable }) as Failure;
}

/**
 * The first request (redirects handled by hand: the token goes only to the Hub's own host, never to the CDN it
 * redirects to), then the body, resumed with Range when part of it is there.
 */
async function open(req: HubRequest, have: number): Promise<Response> {
  let url = req.url;
  let headers: Record<string, string> = { ...req.headers };
  for (let hop = 0; hop < 10; hop++) {
    const res = await fetch(url, { headers: have > 0 ? { ...headers, Range: `bytes=${have}-` } : headers, redirect: 'manual' });
    if (res.status < 300 || res.status >= 400 || !res.headers.get('location')) return res;
    await res.body?.cancel();
    const next = new URL(res.headers.get('location')!, url);
    if (next.host !== new URL(url).host) headers = {}; // no Authorization to another host
    url = next.href;
  }
  throw Object.assign(new Error('too many redirects'), { fatal: true });
}

async function attempt(req: HubRequest, part: string, label: string): Promise<void> {
  const have = fs.existsSync(part) ? fs.statSync(part).size : 0;
  const res = await open(req, have);
  if (res.status === 416) return; // already complete
  if (!res.ok) throw httpError(res, req);
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

/** Downloads `url` (http, https or hf://) into `cacheDir` (once) and returns the local path. */
export async function download(url: string, opts: DownloadOptions): Promise<string> {
  const env = opts.env ?? process.env;
  const hub = isHubUrl(url);
  if (!hub && !/^https?:\/\//.test(url)) throw new Error(`download ${url}: only http(s) and hf://datasets/... URLs are supported`);
  const req = hub ? hubRequest(url, env) : { url, headers: {}, hub: null };
  const shown = hub ? `${url} (${req.url})` : url;
  const hint = opts.hint ? `; ${opts.hint}` : '';
  fs.mkdirSync(opts.cacheDir, { recursive: true });
  const file = path.join(opts.cacheDir, cacheName(url, opts.name));
  const sidecar = `${file}.sha256`;
  const expected = () => (opts.sha256 ?? (fs.existsSync(sidecar) ? fs.readFileSync(sidecar, 'utf8').trim() : undefined))?.toLowerCase();
  const check = async (f: string): Promise<string> => {
    const h = await sha256File(f);
    const want = expected();
    if (want && h !== want) {
      throw Object.assign(new Error(`sha256 ${h} does not match the expected ${want}${opts.sha256 ? '' : ` (recorded in ${path.basename(sidecar)} by the first download)`}`), { fatal: true });
    }
    return h;
  };
  if (fs.existsSync(file)) {
    try {
      await check(file);
      return file;
    } catch (e) {
      log(`download: ${file}: ${(e as Error).message}; downloading it again`);
      fs.rmSync(file);
    }
  }
  if (hub && ['1', 'true', 'yes'].includes(String(env.HF_HUB_OFFLINE ?? '').toLowerCase())) {
    throw new Error(`download ${shown}: HF_HUB_OFFLINE is set and ${file} is not downloaded yet${hint}`);
  }
  const part = `${file}.part`;
  const retries = opts.retries ?? 5;
  let delay = opts.retryDelayMs ?? 1000;
  for (let i = 0; ; i++) {
    try {
      await attempt(req, part, `download ${path.basename(file)}`);
      let hash: string;
      try {
        hash = await check(part);
      } catch (e) {
        fs.rmSync(part, { force: true });
        throw e;
      }
      if (!expected()) {
        fs.writeFileSync(sidecar, `${hash}\n`);
        log(`download ${path.basename(file)}: sha256 ${hash} (no pinned checksum: kept in ${path.basename(sidecar)} and checked from now on)`);
      }
      fs.renameSync(part, file);
      return file;
    } catch (e) {
      const err = e as Failure;
      const code = err.cause?.code ?? (err as Failure & { code?: string }).code;
      const msg = err.cause ? `${err.message}: ${err.cause.message}` : err.message;
      if (err.fatal || (code && FATAL_CODES.has(code)) || i >= retries) {
        const attempts = `${i + 1} attempt${i ? 's' : ''}`;
        throw new Error(`download ${shown} failed after ${attempts}: ${msg}${hint}`);
      }
      log(`download ${shown}: ${msg}; retrying in ${delay} ms (attempt ${i + 2}/${retries + 1}, resuming from ${fs.existsSync(part) ? fs.statSync(part).size : 0} bytes)`);
      await new Promise((r) => setTimeout(r, delay));
      delay *= 2;
    }
  }
}
