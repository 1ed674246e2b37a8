import type { AugmentedPuzzle, RawExample, RawPuzzle } from '@trm/dataset';
import { createRng, deriveSeed } from '@trm/augment';
import { readAugmentConfig, type AugmentConfig } from './config.ts';
import { taskHash } from './hash.ts';
import { CANVAS } from './tokens.ts';
import { applyTransform, augmentedName, formatTransform, randomTransform, type ArcTransform } from './transform.ts';

// Augmentation as the reference builder: per task, up to `num_aug` copies, each a dihedral transform plus a
// permutation of colours 1..9, deduplicated by a hash of the whole task (all its pairs, both splits), drawing at
// most `retries_factor * num_aug` times. The same copies (same names) appear in both splits of a test-set task,
// because the plan depends only on the whole task and the seed. Training-split examples then get a random
// translation inside the canvas, except one example per puzzle, chosen at random.

interface TaskParts {
  /** all examples of the task, train-split puzzle first */
  whole: RawExample[];
  /** where each split's examples start in `whole` */
  start: Map<'train' | 'test', number>;
}

/** Stream the groups of one split: the original first, then its augmented copies. */
export function* augmentArc(puzzles: RawPuzzle[], cfg: Record<string, unknown>, seed: number, split: 'train' | 'test'): Generator<AugmentedPuzzle[]> {
  const ac = readAugmentConfig(cfg);
  const parts = groupTasks(puzzles);
  let group = 0;
  for (const puzzle of puzzles) {
    if (puzzle.split !== split) continue;
    const task = parts.get(puzzle.id)!;
    if (split === 'test' && !task.start.has('train')) {
      throw new Error(`arc.augment(test): task ${puzzle.id} has no train-split puzzle in the input; pass all fetched puzzles (both splits) so that both splits get the same augmented copies`);
    }
    const begin = task.start.get(split)!;
    const end = begin + puzzle.examples.length;
    const copies = planCopies(task.whole, ac, seed, puzzle.id);
    yield copies.map(({ transform, examples }, augIndex) => {
      const own = examples.slice(begin, end);
      return {
        split,
        group,
        augIndex,
        name: augmentedName(puzzle.id, transform),
        transform,
        examples: split === 'train' && ac.translate ? translate(own, seed, puzzle.id, augIndex) : own,
      };
    });
    group++;
  }
}

function groupTasks(puzzles: RawPuzzle[]): Map<string, TaskParts> {
  const byId = new Map<string, RawPuzzle[]>();
  for (const p of puzzles) {
    const list = byId.get(p.id) ?? [];
    if (list.some((q) => q.split === p.split)) throw new Error(`arc.augment: task ${p.id} appears twice in split ${p.split}`);
    list.push(p);
    byId.set(p.id, list);
  }
  const out = new Map<string, TaskParts>();
  for (const [id, list] of byId) {
    list.sort((a, b) => (a.split === b.split ? 0 : a.split === 'train' ? -1 : 1));
    const whole: RawExample[] = [];
    const start = new Map<'train' | 'test', number>();
    for (const p of list) {
      start.set(p.split, whole.length);
      whole.push(...p.examples);
    }
    out.set(id, { whole, start });
  }
  return out;
}

/** The original plus up to num_aug distinct copies of the whole task; deterministic in (seed, task id). */
function planCopies(whole: RawExample[], ac: AugmentConfig, seed: number, taskId: string): { transform: string; examples: RawExample[] }[] {
  const copies = [{ transform: '', examples: whole }];
  if (ac.num_aug === 0) return copies;
  const rng = createRng(deriveSeed(seed, 'arc-aug', taskId));
  const seen = new Set<number>([taskHash(whole)]);
  for (let trial = 0; trial < ac.retries_factor * ac.num_aug && copies.length < ac.num_aug + 1; trial++) {
    const t = randomTransform(rng);
    const examples = whole.map((ex) => transformExample(ex, t));
    const h = taskHash(examples);
    if (seen.has(h)) continue;
    seen.add(h);
    copies.push({ transform: formatTransform(t), examples });
  }
  return copies;
}

function transformExample(ex: RawExample, t: ArcTransform): RawExample {
  return { input: applyTransform(ex.input, t), output: ex.output ? applyTransform(ex.output, t) : null, role: ex.role };
}

/** Random top-left offsets inside the canvas (input and output share one), except one example left at (0, 0). */
function translate(examples: RawExample[], seed: number, taskId: string, augIndex: number): RawExample[] {
  const rng = createRng(deriveSeed(seed, 'arc-translate', taskId, augIndex));
  const keep = rng.int(examples.length);
  return examples.map((ex, i) => {
    if (i === keep) return ex;
    const rows = Math.max(ex.input.rows, ex.output?.rows ?? 0);
    const cols = Math.max(ex.input.cols, ex.output?.cols ?? 0);
    return { ...ex, offset: { row: rng.int(CANVAS - rows + 1), col: rng.int(CANVAS - cols + 1) } };
  });
}
