// Rough cost model of one optimizer step (multiply-adds x 2), for the estimate printed before training.
import type { ArchConfig } from '@trm/trm';
import { archDims } from '@trm/trm';

/** FLOPs of one block applied to a batch of B sequences. */
function blockFlops(arch: ArchConfig, B: number): number {
  const d = archDims(arch);
  const L = d.totalLen;
  const D = arch.hidden_size;
  const mlp = 2 * L * (D * 2 * d.innerHidden + d.innerHidden * D);
  const mixer = arch.mlp_t
    ? 2 * D * (L * 2 * d.innerTokens + d.innerTokens * L)
    : 2 * L * (D * 3 * D + D * D) + 2 * 2 * L * L * D;
  return B * (mlp + mixer);
}

/** Forward of all H_cycles rounds, plus backward (~2x forward) of the last round. */
export function flopsPerStep(arch: ArchConfig, batch: number): number {
  const perRound = (arch.L_cycles + 1) * arch.L_layers * blockFlops(arch, batch);
  const head = 2 * batch * arch.seq_len * arch.hidden_size * arch.vocab_size;
  return arch.H_cycles * perRound + 2 * perRound + 3 * head;
}

export function formatFlops(f: number): string {
  const units = ['', 'K', 'M', 'G', 'T', 'P', 'E'];
  let i = 0;
  while (f >= 1000 && i < units.length - 1) { f /= 1000; i++; }
  return `${f.toFixed(f < 10 ? 2 : 1)} ${units[i]}FLOP`;
}
