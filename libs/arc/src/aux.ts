import type { AuxArtifacts, RawPuzzle } from '@trm/dataset';
import { gridToJson } from './parse.ts';

// The side artifacts evaluation needs, as the reference's identifiers.json and test_puzzles.json.

export interface ArcAux {
  /** index = puzzle identifier, 0 = `<blank>`; names as `augment` gives them */
  identifiers: string[];
  /** test-split tasks: their test pairs (output null where the source has no answer) */
  test_puzzles: Record<string, { test: { input: number[][]; output: number[][] | null }[] }>;
}

export const BLANK_NAME = '<blank>';

/**
 * Identifiers numbered as the encode stage numbers them: distinct names in order of first appearance, train split
 * first, from 1 (0 = blank).
 */
export function identifierList(augmented: { name: string; split: string }[]): string[] {
  const names = [BLANK_NAME];
  const seen = new Set<string>();
  for (const split of ['train', 'test']) {
    for (const a of augmented) {
      if (a.split !== split || a.name === '' || seen.has(a.name)) continue;
      seen.add(a.name);
      names.push(a.name);
    }
  }
  return names;
}

export function arcAuxArtifacts(puzzles: RawPuzzle[], augmented: { name: string; transform: string; split: string }[]): AuxArtifacts {
  const test_puzzles: ArcAux['test_puzzles'] = {};
  for (const p of puzzles) {
    if (p.split !== 'test') continue;
    test_puzzles[p.id] = { test: p.examples.map((e) => ({ input: gridToJson(e.input), output: e.output ? gridToJson(e.output) : null })) };
  }
  const aux: ArcAux = { identifiers: identifierList(augmented), test_puzzles };
  return aux as unknown as AuxArtifacts;
}
