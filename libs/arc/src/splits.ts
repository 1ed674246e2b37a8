import { isTestSubset, readFetchConfig } from './config.ts';

// Guard against evaluating on tasks the model was trained on. ARC-AGI-2 training contains ARC-AGI-1 tasks,
// several hundred of them from ARC-AGI-1 evaluation (376 of 400 by task id in kaggle-combined).

export class ArcSplitError extends Error {
  override name = 'ArcSplitError';
}

/** Static check of a fetch section: refuses training2 (ARC-AGI-2 training) with evaluation (ARC-AGI-1) as test set. */
export function checkSplits(cfg: Record<string, unknown>): void {
  const fc = readFetchConfig(cfg);
  const train = fc.subsets.filter((s) => !isTestSubset(fc, s));
  const test = fc.subsets.filter((s) => isTestSubset(fc, s));
  if (train.includes('training2') && test.includes('evaluation')) {
    throw new ArcSplitError(
      'arc: refusing to train on ARC-AGI-2 training (subset "training2") while evaluating on ARC-AGI-1 evaluation ' +
        '(test set "evaluation"): ARC-AGI-2 training contains ARC-AGI-1 evaluation tasks, so the score would be measured ' +
        'on training data. Use subsets [training, evaluation, concept] with test_set_name "evaluation" (ARC-AGI-1), or ' +
        '[training2, evaluation2, concept] with test_set_name "evaluation2" (ARC-AGI-2).',
    );
  }
}

/** Data check: no task of a test subset may also appear (by task id) in a subset used only for training. */
export function checkTaskOverlap(idsBySubset: ReadonlyMap<string, readonly string[]>, isTest: (subset: string) => boolean): void {
  const trainedIn = new Map<string, string>();
  for (const [subset, ids] of idsBySubset) if (!isTest(subset)) for (const id of ids) trainedIn.set(id, subset);
  for (const [subset, ids] of idsBySubset) {
    if (!isTest(subset)) continue;
    const shared = ids.filter((id) => trainedIn.has(id));
    if (shared.length > 0) {
      const other = [...new Set(shared.map((id) => trainedIn.get(id)))].join(', ');
      throw new ArcSplitError(
        `arc: ${shared.length} task(s) of test subset "${subset}" also appear in training subset(s) ${other} ` +
          `(e.g. ${shared.slice(0, 5).join(', ')}): evaluating on them would measure training data. Drop the overlapping subset.`,
      );
    }
  }
}
