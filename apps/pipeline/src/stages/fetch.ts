// fetch: the dataset lib parses, generates or downloads raw puzzles through SourceIO -> fetch.puzzles.
import { runCatalogStage, table, type StageFunction } from '../catalog/index.ts';
import type { StageContext, StageResult } from './context.ts';
import { puzzleColumns, puzzleRows } from './tables.ts';

export const fetchPuzzles: StageFunction = async (inputs, { config, dataset }) => {
  const lib = dataset.lib;
  const cfg = 'seed' in lib.schema.fetch ? config.fetch : { ...config.fetch, seed: config.seed };
  const puzzles = await lib.fetch(cfg, inputs.source());
  const seen = new Set<string>();
  for (const p of puzzles) {
    const k = `${p.split}/${p.id}`;
    if (seen.has(k)) throw new Error(`dataset ${config.dataset}: fetch returned puzzle id ${p.id} twice in split ${p.split}`);
    seen.add(k);
  }
  // train split first, each split in the lib's order
  const ordered = [...puzzles.filter((p) => p.split === 'train'), ...puzzles.filter((p) => p.split !== 'train')];
  let examples = 0;
  const rows = (function* () {
    for (const p of ordered) for (const r of puzzleRows(p)) { examples++; yield r; }
  })();
  return { outputs: { 'fetch.puzzles': table(puzzleColumns, rows) }, run: () => ({ puzzles: puzzles.length, examples }) };
};

export function runFetch(ctx: StageContext): Promise<StageResult> {
  return runCatalogStage(ctx, 'fetch', fetchPuzzles);
}
