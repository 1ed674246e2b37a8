// @trm/arc: the ARC dataset lib (DatasetLib `arc`), built and scored as the reference TinyRecursiveModels does.
// fetch    { layout: kaggle | per-task, path, prefix, subsets, test_set_name, test_set_name2, max_tasks }:
//          every pair of a training-subset task -> train split; a test-subset task's demonstrations -> train,
//          its test pairs -> test. Refuses ARC-AGI-2 training with ARC-AGI-1 evaluation (`checkSplits`).
// augment  { num_aug, retries_factor, translate }: per task up to num_aug distinct (dihedral + colours 1..9)
//          copies named `<id>|||t<k>|||<mapping>`; training examples translated in the canvas except one.
//          `puzzles` must hold both splits (the two halves of a test task get the same copies).
// encode   30x30 canvas, PAD 0, EOS 1, colour c -> c + 2 (vocab 12, seq_len 900).
// evaluate { pass_ks, submission_k }: votes over augmented copies -> ARC/pass@K and submission.json.
import type { DatasetLib, Grid } from '@trm/dataset';
import { augmentArc } from './augment.ts';
import { arcAuxArtifacts } from './aux.ts';
import { schema } from './config.ts';
import { evaluateArc } from './evaluate.ts';
import { fetchArc } from './fetch.ts';
import { renderSvg, renderText } from './render.ts';
import { arcSolving } from './solving.ts';
import { ARC_SHAPE, cropTokens, encodeExample } from './tokens.ts';
import { invertTransform, parseTransform } from './transform.ts';

/** ARC-AGI 1/2 and ConceptARC, built and scored as the reference (TinyRecursiveModels). */
export const arc: DatasetLib = {
  name: 'arc',
  description: 'ARC-AGI-1/2 + ConceptARC: 30x30 canvas, dihedral + colour augmentations, voting pass@K',
  schema,
  shape: () => ARC_SHAPE,
  fetch: fetchArc,
  augment: augmentArc,
  inverse: (grid: Grid, transform: string) => invertTransform(grid, parseTransform(transform)),
  encode: (example) => encodeExample(example),
  decode: (tokens) => cropTokens(tokens),
  auxArtifacts: arcAuxArtifacts,
  renderText,
  renderSvg,
  evaluate: evaluateArc,
  solving: arcSolving,
};

export { checkSplits, checkTaskOverlap, ArcSplitError } from './splits.ts';
export { ArcFormatError, parseGrid, parseTask } from './parse.ts';
export { ARC_PALETTE } from './render.ts';
export { arcSolving, parseTaskText } from './solving.ts';
export { CANVAS, SEQ_LEN, VOCAB_SIZE, PAD, EOS, cropTokens, gridToCanvas } from './tokens.ts';
export { gridHash, taskHash } from './hash.ts';
export { applyTransform, augmentedName, formatTransform, parseTransform, splitName } from './transform.ts';
export type { ArcTransform } from './transform.ts';
export type { ArcAux } from './aux.ts';
export type { FetchConfig, AugmentConfig, EvaluateConfig } from './config.ts';
