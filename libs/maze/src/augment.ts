import type { AugmentedPuzzle, Grid, RawPuzzle } from '@trm/dataset';
import { dihedral, inverseDihedral } from '@trm/augment';

// Maze augmentation: the 8 dihedral transforms of the square (training split only).
// Each group is the original (augIndex 0, transform "") followed by transforms 1..7.

const PREFIX = 'dihedral:';

/** Serialised transform k ("" for the identity). */
export function transformName(k: number): string {
  return k === 0 ? '' : `${PREFIX}${k}`;
}

export function parseTransform(transform: string): number {
  if (transform === '') return 0;
  const k = Number(transform.slice(PREFIX.length));
  if (!transform.startsWith(PREFIX) || !Number.isInteger(k) || k < 0 || k > 7) {
    throw new Error(`maze: unknown transform ${JSON.stringify(transform)} (expected "" or "dihedral:1".."dihedral:7")`);
  }
  return k;
}

/** Groups of one split, original first; `dihedral` adds the 7 other symmetries. Streams group by group. */
export function* augmentMazes(puzzles: RawPuzzle[], split: 'train' | 'test', dihedralOn: boolean): Iterable<AugmentedPuzzle[]> {
  let group = 0;
  for (const puzzle of puzzles) {
    if (puzzle.split !== split) continue;
    const count = dihedralOn ? 8 : 1;
    const members: AugmentedPuzzle[] = [];
    for (let k = 0; k < count; k++) {
      members.push({
        split,
        group,
        augIndex: k,
        name: '', // Maze puzzles share the blank identifier, as in the reference builder
        transform: transformName(k),
        examples: puzzle.examples.map((ex) => ({
          input: dihedral(ex.input, k),
          output: ex.output ? dihedral(ex.output, k) : null,
          role: ex.role,
        })),
      });
    }
    group++;
    yield members;
  }
}

export function inverseTransform(grid: Grid, transform: string): Grid {
  return inverseDihedral(grid, parseTransform(transform));
}
