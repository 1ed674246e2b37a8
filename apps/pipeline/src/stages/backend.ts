// The tensor backend of the engine stages (train, evaluate) as their manifest keys record it.
import { execFileSync } from 'node:child_process';
import type { ResolvedConfig } from '../config/load.ts';

export interface BackendKey {
  name: string;
  version: string;
  /** on wasm, the matmul kernel (and for the native addon its build) */
  gemm?: string;
  /** with runtime.precision bf16: `bf16 <kernel>` (the addon's bfloat16 GEMM kernel on this CPU); absent in fp32 */
  precision?: string;
}

/** the last backend initialised in this process: asking again for the same one does not initialise it again */
let last: { wanted: string; selected: Promise<BackendKey> } | null = null;

/**
 * The backend named by TRM_BACKEND or runtime.backend, initialised (once per process and name): its name, version and,
 * on wasm, the matmul kernel ($TRM_GEMM: tensor-core's native or WebAssembly GEMM, or tfjs's own, which round
 * differently in the last bits; for native also its build, e.g. `native 1ac49176 512-bit 12x32 kc512 mc96 nc2048`,
 * since the source and the machine's vector width decide its bits), and with runtime.precision bf16 the bfloat16
 * kernel (`bf16 avx512bf16`; the fp32-fma fallback gives the same bits). tensor-node (and tfjs) load on the first call.
 */
export function selectBackend(config: ResolvedConfig): Promise<BackendKey> {
  const wanted = process.env.TRM_BACKEND ?? config.runtime.backend;
  const precision = config.runtime.precision ?? 'fp32';
  const key = `${wanted}\0${process.env.TRM_GEMM ?? ''}\0${precision}`;
  if (last?.wanted === key) return last.selected;
  const selected = (async () => {
    const { initBackend } = await import('@trm/tensor-node');
    const info = await initBackend(wanted as Parameters<typeof initBackend>[0], { precision });
    if (!info.gemm) return { name: info.name, version: info.version };
    const bf16 = info.precision === 'bf16' ? { precision: `bf16 ${info.bf16Kernel}` } : {};
    return { name: info.name, version: info.version, gemm: info.gemmBuild ? `${info.gemm} ${info.gemmBuild}` : info.gemm, ...bf16 };
  })();
  last = { wanted: key, selected };
  selected.catch(() => { if (last?.selected === selected) last = null; });
  return selected;
}

/**
 * The engine a stage's key records: for train with `runtime.engine: reference`, the reference checkout (its git
 * commit), since pretrain.py does the work; otherwise the tfjs backend (`selectBackend`).
 */
export function stageBackend(config: ResolvedConfig, stage: string): Promise<BackendKey> {
  if (stage === 'train' && config.runtime.engine === 'reference') return Promise.resolve(referenceBackend(process.env.TRM_REFERENCE_DIR));
  return selectBackend(config);
}

/** `{ name: 'reference', version: <git commit of the checkout> }` (`unversioned` outside git, `unset` without a folder). */
export function referenceBackend(dir: string | undefined): BackendKey {
  if (!dir) return { name: 'reference', version: 'unset' };
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return { name: 'reference', version: commit };
  } catch {
    return { name: 'reference', version: 'unversioned' };
  }
}
