export type {
  Grid,
  RawExample,
  RawPuzzle,
  AugmentedPuzzle,
  EncodedExample,
  DatasetShape,
  SourceIO,
  FieldSchema,
  SectionSchema,
  ExamplePrediction,
  AuxArtifacts,
  DatasetLib,
  TaskEvaluation,
} from './contract.ts';
export { parseNpy } from './npy.ts';
export type { NpyArray } from './npy.ts';
export { parseCsv, column, parseCsvLine, csvRows, describeColumns, headerColumn } from './csv.ts';
export type { CsvTable } from './csv.ts';
export { PuzzleInputError, changedCells } from './solving.ts';
export type { AnswerCheck, PuzzleSolving, QueryResult, SolveContext, SolveQuery } from './solving.ts';
export { excerpt, lineColumn, parseJsonText, stripJsonComments, JsonSyntaxError } from './json.ts';
export { LineTooLongError, splitLines, textLines } from './lines.ts';
export type { LineOptions } from './lines.ts';
export { isRateMetric } from './metrics.ts';
export { datasetLaws, noFilesIO } from './conformance.ts';
export type { ConformanceCase, Law } from './conformance.ts';
