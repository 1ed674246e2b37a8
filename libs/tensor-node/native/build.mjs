// Builds the native addon (gemm.cc + gemm-bf16.cc + bf16.cc + elementwise.cc + transpose.cc + optim.cc + addon.cc) with the C++ compiler found here, into
// build/trm_gemm-<hash8>.node, where hash8 covers the sources and the flags: the runtime loader
// (src/native/addon.ts) asks for the binary of the current sources and builds it on first use.
// Direct compiler call, no node-gyp: it works offline with just a compiler and Node's headers.
//   node libs/tensor-node/native/build.mjs              build (exit 1 with the reason on failure)
//   node libs/tensor-node/native/build.mjs --optional   never fails: a one-line notice instead (postinstall)
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';

const here = dirname(fileURLToPath(import.meta.url));
const SOURCES = ['gemm.h', 'gemm.cc', 'bf16.h', 'bf16.cc', 'gemm-bf16.h', 'gemm-bf16.cc', 'attention.h', 'attention.cc', 'vector-loop.h', 'vector-math.h', 'elementwise.h', 'elementwise.cc', 'transpose.h', 'transpose.cc', 'optim.h', 'optim.cc', 'addon.cc'];
// x64: the widest vectors this CPU has (AVX-512 or AVX2); arm64: NEON and FMA are baseline, and older Apple clang
// rejects -march=native there.
const FLAGS = ['-O3', ...(process.arch === 'x64' ? ['-march=native'] : []), '-ffp-contract=fast', '-std=c++17', '-shared', '-fPIC', '-fvisibility=hidden'];
const PLATFORM_FLAGS = process.platform === 'darwin' ? ['-undefined', 'dynamic_lookup'] : [];

/** 8 hex digits of sha256 over the sources and the compiler flags. */
export function sourceHash() {
  const h = createHash('sha256');
  for (const f of SOURCES) h.update(f).update('\0').update(readFileSync(join(here, f))).update('\0');
  h.update([...FLAGS, ...PLATFORM_FLAGS].join(' '));
  return h.digest('hex').slice(0, 8);
}

/** Where the binary for `hash` lives (git-ignored). */
export function binaryPath(hash = sourceHash()) {
  return join(here, 'build', `trm_gemm-${hash}.node`);
}

/** Node's C headers (node_api.h): next to the running node, as npm/node-gyp's nodedir. */
function nodeInclude() {
  const dir = join(dirname(process.execPath), '..', 'include', 'node');
  if (!existsSync(join(dir, 'node_api.h'))) throw new Error(`Node's headers not found (no ${join(dir, 'node_api.h')})`);
  return dir;
}

/** The first C++ compiler that answers --version: $CXX, then c++, g++, clang++. */
function compiler() {
  const candidates = process.env.CXX ? [process.env.CXX] : ['c++', 'g++', 'clang++'];
  for (const cxx of candidates) {
    try {
      execFileSync(cxx, ['--version'], { stdio: 'ignore' });
      return cxx;
    } catch {
      // not installed: try the next one
    }
  }
  throw new Error(`no C++ compiler found (tried ${candidates.join(', ')}; set $CXX)`);
}

/**
 * Compile the addon unless the binary for the current sources exists. Writes a temporary name and renames it, so
 * concurrent builds (worker threads, test workers) never load a half-written file; then deletes the binaries of
 * other source hashes. Returns the binary's path;
 * throws with the reason (compiler output included) on failure.
 */
export function buildNative() {
  const out = binaryPath();
  if (existsSync(out)) return out;
  const include = nodeInclude();
  const cxx = compiler();
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}-${threadId}`;
  try {
    execFileSync(cxx, [...FLAGS, ...PLATFORM_FLAGS, `-I${include}`, '-o', tmp, ...SOURCES.filter((f) => f.endsWith('.cc')).map((f) => join(here, f))], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    const stderr = e.stderr ? String(e.stderr).trim().split('\n').slice(0, 5).join(' | ') : '';
    throw new Error(`${cxx} failed${stderr ? `: ${stderr}` : `: ${e.message}`}`);
  }
  removeStale(out);
  return out;
}

/** Delete the binaries of earlier sources (a process still using one keeps its mapping). */
function removeStale(current) {
  const dir = dirname(current);
  for (const f of readdirSync(dir)) {
    if (/^trm_gemm-[0-9a-f]{8}\.node$/.test(f) && join(dir, f) !== current) rmSync(join(dir, f), { force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const optional = process.argv.includes('--optional');
  try {
    console.log(`trm_gemm: ${buildNative()}`);
  } catch (e) {
    console.error(`trm_gemm: native GEMM not built (${e.message}); the WebAssembly GEMM will be used`);
    process.exit(optional ? 0 : 1);
  }
}
