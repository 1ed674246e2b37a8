// Which test examples keep their per-step predictions (trajectories.arrow), for the report to show what the
// recursion does: the first ones the model got wrong, and the first ones the recursion fixed (wrong after step 1,
// right at the end). The full evaluation keeps no per-step predictions; a second, small evaluation of a few
// candidates (the first wrong examples and the first right ones, in test order) records them, and the most telling
// of those are kept. Per-row results do not depend on the other rows of a batch, so the candidates' last step is the
// prediction of the full evaluation.
import type { EncodedSplit } from '@trm/trm';

/** Rows `indices` of a split, as a split of their own. */
export function subsetSplit(split: EncodedSplit, indices: readonly number[]): EncodedSplit {
  const S = split.seqLen;
  const pick = <T extends Uint8Array | Int32Array>(a: T, width: number, make: (n: number) => T): T => {
    const out = make(indices.length * width);
    indices.forEach((k, j) => out.set(a.subarray(k * width, (k + 1) * width), j * width));
    return out;
  };
  return {
    ...split,
    inputs: pick(split.inputs, S, (n) => new Uint8Array(n)),
    labels: pick(split.labels, S, (n) => new Uint8Array(n)),
    puzzleIdentifiers: pick(split.puzzleIdentifiers, 1, (n) => new Int32Array(n)),
    puzzleIndex: pick(split.puzzleIndex, 1, (n) => new Int32Array(n)),
    groupIndex: pick(split.groupIndex, 1, (n) => new Int32Array(n)),
  };
}

/** Candidates for trajectories: up to 2K of the first wrong examples and up to 8K of the first right ones. */
export function trajectoryCandidates(correct: Uint8Array, k: number): number[] {
  const wrong: number[] = [];
  const right: number[] = [];
  for (let i = 0; i < correct.length && (wrong.length < 2 * k || right.length < 8 * k); i++) {
    if (correct[i]) { if (right.length < 8 * k) right.push(i); }
    else if (wrong.length < 2 * k) wrong.push(i);
  }
  return [...wrong, ...right].sort((a, b) => a - b);
}

export type TrajectoryKind = 'fixed' | 'wrong' | 'changed' | 'right';

/** Whether every labelled token of `preds` is right (labels equal to `ignore` do not count). */
export function exactRight(preds: Uint8Array, labels: Uint8Array, ignore: number | null): boolean {
  for (let i = 0; i < labels.length; i++) if (labels[i] !== ignore && preds[i] !== labels[i]) return false;
  return true;
}

/**
 * Up to `k` candidates: half (rounded up) the recursion fixed (wrong after step 1, right at the end), the rest wrong at
 * the end (those whose answer changed across steps first); free places go to the other kind, then to right answers
 * that changed. In test order within each kind.
 */
export function pickTrajectories(
  candidates: readonly number[], steps: Uint8Array[][], labels: (i: number) => Uint8Array, ignore: number | null, k: number,
): { index: number; kind: TrajectoryKind }[] {
  const kinds = candidates.map((index, j) => {
    const t = steps[j];
    const label = labels(index);
    const first = exactRight(t[0], label, ignore);
    const last = exactRight(t[t.length - 1], label, ignore);
    const changed = t.some((p) => p.some((v, i) => v !== t[0][i]));
    const kind: TrajectoryKind = last ? (first ? (changed ? 'right' : 'right') : 'fixed') : changed ? 'changed' : 'wrong';
    return { index, kind, changed };
  });
  const of = (pred: (x: (typeof kinds)[number]) => boolean) => kinds.filter(pred);
  const fixed = of((x) => x.kind === 'fixed');
  const wrong = [...of((x) => x.kind === 'changed'), ...of((x) => x.kind === 'wrong')];
  const rightChanged = of((x) => x.kind === 'right' && x.changed);
  const wantFixed = Math.ceil(k / 2);
  const out = [...fixed.slice(0, wantFixed), ...wrong.slice(0, k - Math.min(wantFixed, fixed.length))];
  for (const x of [...fixed.slice(wantFixed), ...rightChanged]) if (out.length < k && !out.includes(x)) out.push(x);
  return out.slice(0, k).sort((a, b) => a.index - b.index).map(({ index, kind }) => ({ index, kind }));
}
