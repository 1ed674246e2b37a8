// The test puzzles of a config as text its dataset lib parses (`trm web`'s "draw a test puzzle", the e2e test):
// the test split of the fetch stage, each with the demonstrations of its task (ARC keeps them in the train split).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatasetLib, RawPuzzle } from '@trm/dataset';
import { readArrowRows } from '../artifacts/arrow-table.ts';
import { catalogEntry } from '../catalog/entries.mjs';
import { collectPuzzles } from '../stages/tables.ts';

export interface TestPuzzle {
  id: string;
  /** the puzzle as `DatasetLib.solving.parse` reads it */
  text: string;
}

/** Up to `limit` test puzzles of the config's fetch stage (none when it has not run). */
export async function testPuzzles(lib: DatasetLib, artifacts: string, config: string, limit: number): Promise<TestPuzzle[]> {
  const entry = catalogEntry('fetch.puzzles');
  const file = path.join(artifacts, config, entry.stage, entry.path);
  if (!lib.solving || !fs.existsSync(file)) return [];
  const all = await collectPuzzles(readArrowRows(file));
  const demos = new Map<string, RawPuzzle>(all.filter((p) => p.split === 'train').map((p) => [p.id, p]));
  return all
    .filter((p) => p.split === 'test')
    .slice(0, limit)
    .map((p) => {
      const train = demos.get(p.id)?.examples.filter((e) => e.role === 'train') ?? [];
      return { id: p.id, text: lib.solving!.formatPuzzle({ ...p, examples: [...train, ...p.examples] }) };
    });
}
