// augment: streams the dataset lib's augmented groups of each split into train.arrow / test.arrow.
import * as path from 'node:path';
import { readArrowRows, writeArrowFile, type Row } from '../artifacts/arrow-table.ts';
import { createProgress } from '../io/progress.ts';
import { runStage, upstream, type StageContext, type StageResult } from './context.ts';
import { augmentedColumns, augmentedRows, collectPuzzles } from './tables.ts';

export const SPLITS = ['train', 'test'] as const;

export function runAugment(ctx: StageContext): Promise<StageResult> {
  return runStage(ctx, 'augment', async (tmp) => {
    const fetched = await upstream(ctx, 'fetch');
    const puzzles = await collectPuzzles(readArrowRows(path.join(fetched.dir, 'puzzles.arrow')));
    const counts: Record<string, number> = {};
    for (const split of SPLITS) {
      const own = puzzles.filter((p) => p.split === split);
      const bar = createProgress(`augment ${split}`, own.length);
      const lib = ctx.dataset.lib;
      let expected = 0;
      const rows = (function* (): Generator<Row> {
        for (const group of lib.augment(puzzles, ctx.config.augment, ctx.config.seed, split)) {
          for (const p of group) {
            if (p.group !== expected) throw new Error(`dataset ${lib.name}: augment(${split}) yielded group ${p.group}, expected ${expected} (groups must be dense and in order)`);
            if (p.split !== split) throw new Error(`dataset ${lib.name}: augment(${split}) yielded a puzzle of split ${p.split}`);
            yield* augmentedRows(p);
          }
          expected++;
          bar.tick();
        }
      })();
      counts[split] = await writeArrowFile(path.join(tmp, `${split}.arrow`), augmentedColumns, rows);
      bar.done();
    }
    return { rows: counts };
  });
}
