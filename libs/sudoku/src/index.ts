// @trm/sudoku: the Sudoku dataset lib (DatasetLib `sudoku`) plus its solver, generator and augmentation.
//
// Config keys (see `sudoku.schema`): fetch { source, size, seed, train_size, test_size, min_rating, max_attempts,
// repo, train_files, test_files, path, subsample_size, test_subsample_size, dedupe, on_invalid },
// augment { num_aug, transpose }, encode { size }. Tokens: PAD 0, blank 1, digit d -> d + 1 (vocab n + 2).
export { sudoku, sudokuShape } from './lib.ts';
export { schema as sudokuSchema, readFetchConfig, readAugmentConfig } from './config.ts';
export type { FetchConfig } from './config.ts';
export { boardSpec, specForCells, parseCells, cellsToString, BOX_SHAPES } from './board.ts';
export type { BoardSpec } from './board.ts';
export { solve, isValidSolution, respectsGivens } from './solver.ts';
export type { SolveResult } from './solver.ts';
export { generatePuzzle, generatePuzzles, randomSolvedGrid } from './generator.ts';
export type { GeneratedPuzzle } from './generator.ts';
export { canonicalKey, puzzleInvariant, CanonicalSet } from './canonical.ts';
export {
  sampleTransform, applyTransform, invertTransform, serializeTransform, parseTransform, identityTransform, canTranspose,
  writeTransformAscii, transformTextLength,
} from './transform.ts';
export type { SudokuTransform } from './transform.ts';
export { augmentGroups, augmentEncodeArrays, transformAt } from './augment.ts';
export type { AugmentOptions, EncodedArrays } from './augment.ts';
export { huggingfaceUrl, SUDOKU_EXTREME } from './fetch.ts';
export { renderText, renderSvg } from './render.ts';
export type { SudokuSvgOptions } from './render.ts';
export { evaluateSudoku } from './evaluate.ts';
export { checkSudoku, parsePuzzleText, sudokuSolving } from './solving.ts';
