// Checks across keys that the per-field schemas cannot make (arch.num_heads dividing arch.hidden_size, ...), run on
// the whole config before the first stage, so that a bad value fails at once and leaves nothing behind. What needs
// the data (batch sizes against the train split) is checked by the train stage before it writes anything.
import { validateArch, validateTrainConfig, type ArchConfig, type TrainConfig } from '@trm/trm';
import type { ResolvedDataset } from '../registry.ts';
import type { ResolvedConfig } from './load.ts';
import { invalidConfig } from './validate.ts';
import { engineTrainPart } from './sections.ts';

/** The engine's objections to an arch (data dims included), as one line each. */
export function archProblems(arch: ArchConfig): string[] {
  try {
    validateArch(arch);
    return [];
  } catch (e) {
    return [(e as Error).message];
  }
}

/**
 * Throws one ConfigError listing every cross-key problem: the arch with the dims the dataset's encode section gives
 * (seq_len, vocab_size; the puzzle identifiers are counted only by encode) and the train section as the engine reads it.
 */
export function checkConfig(config: ResolvedConfig, dataset: ResolvedDataset): void {
  const errors: string[] = [];
  let shape: { seqLen: number; vocabSize: number } | null = null;
  try {
    shape = dataset.lib.shape(config.encode);
  } catch (e) {
    errors.push(`encode: ${(e as Error).message}`);
  }
  if (shape) errors.push(...archProblems({ ...(config.arch as unknown as ArchConfig), seq_len: shape.seqLen, vocab_size: shape.vocabSize, num_puzzle_identifiers: 1 }));
  try {
    validateTrainConfig(engineTrainPart(config.train) as unknown as TrainConfig);
  } catch (e) {
    errors.push((e as Error).message);
  }
  if (errors.length) throw invalidConfig(config.file, errors);
}
