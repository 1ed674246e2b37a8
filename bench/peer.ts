// The reference figures of /work/shared/bench/peer.json: one training step of the PyTorch TRM on this kind of
// machine, for configs a-e at 1 and 2 threads. The bench suites and bench/profile-step.ts read configs from here.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ArchConfig } from '@trm/trm';

/** A peer config: the reference's arch fields (the fixed ones come from ARCH_DEFAULTS) and its batch. */
export type PeerCfg = Omit<ArchConfig, keyof typeof ARCH_DEFAULTS> & { batch_size: number };

/** One row of peer.json: one config at one thread count. */
export interface PeerRow {
  config: string;
  name: string;
  threads: number;
  cfg: PeerCfg;
  params: number;
  ms_step: number;
  samples_per_s: number;
  tokens_per_s: number;
  gflop_step: number;
  gflops: number;
  peak_rss_mb: number;
}

/** A peer config ready to build: arch, batch, and the reference rows at 1 and 2 threads. */
export interface PeerConfig {
  id: string;
  name: string;
  arch: ArchConfig;
  batch: number;
  ref1: PeerRow | null;
  ref2: PeerRow;
}

export const PEER_PATH = fileURLToPath(new URL('../../shared/bench/peer.json', import.meta.url));

/** The arch fields peer.json leaves out: the reference defaults. */
const ARCH_DEFAULTS = { rope_theta: 10000, rms_norm_eps: 1e-5, no_ACT_continue: true } as const;

export function peerRows(): PeerRow[] {
  return (JSON.parse(readFileSync(PEER_PATH, 'utf8')) as { rows: PeerRow[] }).rows;
}

export function peerConfig(id: string, rows: PeerRow[] = peerRows()): PeerConfig {
  const mine = rows.filter((r) => r.config === id);
  const ref2 = mine.find((r) => r.threads === 2);
  if (!ref2) throw new Error(`bench: config "${id}" has no 2-thread row in ${PEER_PATH} (known configs: ${[...new Set(rows.map((r) => r.config))].join(', ')})`);
  const { batch_size, ...cfg } = ref2.cfg;
  return { id, name: ref2.name, arch: { ...cfg, ...ARCH_DEFAULTS }, batch: batch_size, ref1: mine.find((r) => r.threads === 1) ?? null, ref2 };
}

export const PEER_BF16_PATH = fileURLToPath(new URL('../../shared/bench/peer-bf16.json', import.meta.url));

/** The rows of peer-bf16.json: the reference in its default precision (forward_dtype bfloat16), 2 threads. */
export function peerBf16Rows(): PeerRow[] {
  return (JSON.parse(readFileSync(PEER_BF16_PATH, 'utf8')) as { rows: PeerRow[] }).rows;
}

/**
 * Peer config `id` compared with the reference in bfloat16: the float32 config's arch and batch, the reference rows of
 * peer-bf16.json (2 threads only: ref1 null); null when that file has no row for `id` (config c was not measured).
 */
export function peerConfigBf16(id: string, rows: PeerRow[] = peerRows(), bf16Rows: PeerRow[] = peerBf16Rows()): PeerConfig | null {
  const fp32 = peerConfig(id, rows);
  const ref2 = bf16Rows.find((r) => r.config === id && r.threads === 2);
  return ref2 ? { ...fp32, ref1: null, ref2 } : null;
}
