// fetch: the dataset lib parses/generates/downloads raw puzzles through SourceIO -> puzzles.arrow.
import * as path from 'node:path';
import { writeArrowFile } from '../artifacts/arrow-table.ts';
import { createSourceIO } from '../io/source-io.ts';
import { runStage, type StageContext, type StageResult } from './context.ts';
import { puzzleColumns, puzzleRows } from './tables.ts';

export function runFetch(ctx: StageContext): Promise<StageResult> {
  return runStage(ctx, 'fetch', async (tmp) => {
    const io = createSourceIO(ctx.root, path.join(ctx.artifacts, '_downloads'));
    const lib = ctx.dataset.lib;
    const cfg = 'seed' in lib.schema.fetch ? ctx.config.fetch : { ...ctx.config.fetch, seed: ctx.config.seed };
    const puzzles = await lib.fetch(cfg, io);
    const seen = new Set<string>();
    for (const p of puzzles) {
      const k = `${p.split}/${p.id}`;
      if (seen.has(k)) throw new Error(`dataset ${ctx.config.dataset}: fetch returned puzzle id ${p.id} twice in split ${p.split}`);
      seen.add(k);
    }
    // train split first, each split in the lib's order
    const ordered = [...puzzles.filter((p) => p.split === 'train'), ...puzzles.filter((p) => p.split !== 'train')];
    const rows = await writeArrowFile(path.join(tmp, 'puzzles.arrow'), puzzleColumns, (function* () { for (const p of ordered) yield* puzzleRows(p); })());
    return { puzzles: puzzles.length, examples: rows };
  });
}
