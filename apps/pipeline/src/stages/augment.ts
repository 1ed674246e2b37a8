// augment: streams the dataset lib's augmented groups of each split -> augment.train, augment.test.
import type { Row } from '../artifacts/arrow-table.ts';
import { runCatalogStage, table, type StageFunction } from '../catalog/index.ts';
import { createProgress } from '../io/progress.ts';
import type { StageContext, StageResult } from './context.ts';
import { augmentedColumns, augmentedRows, collectPuzzles } from './tables.ts';

export const SPLITS = ['train', 'test'] as const;

export const augmentPuzzles: StageFunction = async (inputs, { config, dataset }) => {
  const puzzles = await collectPuzzles(inputs.table('fetch.puzzles').rows());
  const lib = dataset.lib;
  const counts: Record<string, number> = {};
  const split = (name: (typeof SPLITS)[number]): Iterable<Row> => {
    const own = puzzles.filter((p) => p.split === name);
    return (function* (): Generator<Row> {
      const bar = createProgress(`augment ${name}`, own.length);
      let expected = 0;
      counts[name] = 0;
      for (const group of lib.augment(puzzles, config.augment, config.seed, name)) {
        for (const p of group) {
          if (p.group !== expected) throw new Error(`dataset ${lib.name}: augment(${name}) yielded group ${p.group}, expected ${expected} (groups must be dense and in order)`);
          if (p.split !== name) throw new Error(`dataset ${lib.name}: augment(${name}) yielded a puzzle of split ${p.split}`);
          for (const r of augmentedRows(p)) { counts[name]++; yield r; }
        }
        expected++;
        bar.tick();
      }
      bar.done();
    })();
  };
  return {
    outputs: { 'augment.train': table(augmentedColumns, split('train')), 'augment.test': table(augmentedColumns, split('test')) },
    run: () => ({ rows: counts }),
  };
};

export function runAugment(ctx: StageContext): Promise<StageResult> {
  return runCatalogStage(ctx, 'augment', augmentPuzzles);
}
