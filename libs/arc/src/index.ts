import type { DatasetLib, Grid } from '@trm/dataset';
import { augmentArc } from './augment.ts';
import { arcAuxArtifacts } from './aux.ts';
import { schema } from './config.ts';
import { evaluateArc } from './evaluate.ts';
import { fetchArc } from './fetch.ts';
import { renderSvg, renderText } from './render.ts';
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
};

export { checkSplits, checkTaskOverlap, ArcSplitError } from './splits.ts';
export { ArcFormatError, parseGrid, parseTask } from './parse.ts';
export { ARC_PALETTE } from './render.ts';
export { CANVAS, SEQ_LEN, VOCAB_SIZE, PAD, EOS, cropTokens, gridToCanvas } from './tokens.ts';
export { gridHash, taskHash } from './hash.ts';
export { applyTransform, augmentedName, formatTransform, parseTransform, splitName } from './transform.ts';
export type { ArcTransform } from './transform.ts';
export type { ArcAux } from './aux.ts';
export type { FetchConfig, AugmentConfig, EvaluateConfig } from './config.ts';
