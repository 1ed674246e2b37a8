// One encoded split as the engine consumes it (docs/DESIGN.md), and its puzzle/group index.
// Examples of a puzzle are contiguous rows; puzzles of a group are contiguous (the encode stage writes them so).

export interface EncodedSplit {
  /** [N*S] token ids, 0 = PAD */
  inputs: Uint8Array;
  /** [N*S] token ids; `ignoreLabelId` marks positions without a label */
  labels: Uint8Array;
  /** [N] puzzle identifier of each example (the row of puzzle_emb it uses) */
  puzzleIdentifiers: Int32Array;
  /** [N] puzzle of each example, non-decreasing */
  puzzleIndex: Int32Array;
  /** [N] group (original puzzle and its augmentations) of each example, non-decreasing */
  groupIndex: Int32Array;
  seqLen: number;
  vocabSize: number;
  /** label id that becomes IGNORE_LABEL (-100: no label); null = none */
  ignoreLabelId: number | null;
  numPuzzleIdentifiers: number;
  /** identifier used for pad rows of test batches (reference `blank_identifier_id`); default 0 */
  blankIdentifierId?: number;
}

export interface SplitIndex {
  numExamples: number;
  /** [numPuzzles+1] first example of each puzzle */
  puzzleStarts: Int32Array;
  /** [numGroups+1] first puzzle (index into puzzleStarts) of each group */
  groupStarts: Int32Array;
  numPuzzles: number;
  numGroups: number;
  /** examples per puzzle, averaged over puzzles (reference `mean_puzzle_examples`) */
  meanPuzzleExamples: number;
}

/** Check an EncodedSplit and index its puzzles and groups; errors name the field and row. */
export function indexSplit(split: EncodedSplit, what = 'split'): SplitIndex {
  const n = split.puzzleIndex.length;
  const S = split.seqLen;
  const fail = (msg: string): never => {
    throw new Error(`${what}: ${msg}`);
  };
  if (!(Number.isInteger(S) && S > 0)) fail(`seqLen must be a positive integer, got ${S}`);
  if (n === 0) fail('has no examples');
  if (split.inputs.length !== n * S) fail(`inputs has ${split.inputs.length} tokens, expected ${n} examples x seqLen ${S}`);
  if (split.labels.length !== n * S) fail(`labels has ${split.labels.length} tokens, expected ${n} examples x seqLen ${S}`);
  if (split.puzzleIdentifiers.length !== n) fail(`puzzleIdentifiers has ${split.puzzleIdentifiers.length} rows, expected ${n}`);
  if (split.groupIndex.length !== n) fail(`groupIndex has ${split.groupIndex.length} rows, expected ${n}`);
  for (let i = 0; i < n * S; i++) {
    if (split.inputs[i] >= split.vocabSize) fail(`inputs row ${Math.floor(i / S)} has token ${split.inputs[i]} >= vocabSize ${split.vocabSize}`);
    if (split.labels[i] >= split.vocabSize) fail(`labels row ${Math.floor(i / S)} has token ${split.labels[i]} >= vocabSize ${split.vocabSize}`);
  }
  const puzzleStarts: number[] = [0];
  const groupStarts: number[] = [0];
  for (let i = 0; i < n; i++) {
    const id = split.puzzleIdentifiers[i];
    if (!(id >= 0 && id < split.numPuzzleIdentifiers)) fail(`puzzleIdentifiers row ${i} is ${id}, expected 0..${split.numPuzzleIdentifiers - 1}`);
    if (i === 0) continue;
    const dp = split.puzzleIndex[i] - split.puzzleIndex[i - 1];
    const dg = split.groupIndex[i] - split.groupIndex[i - 1];
    if (dp < 0) fail(`puzzleIndex decreases at row ${i} (${split.puzzleIndex[i - 1]} -> ${split.puzzleIndex[i]}); examples of a puzzle must be contiguous`);
    if (dg < 0) fail(`groupIndex decreases at row ${i} (${split.groupIndex[i - 1]} -> ${split.groupIndex[i]}); puzzles of a group must be contiguous`);
    if (dg > 0 && dp === 0) fail(`groupIndex changes inside puzzle ${split.puzzleIndex[i]} at row ${i}`);
    if (dp > 0) {
      puzzleStarts.push(i);
      if (dg > 0) groupStarts.push(puzzleStarts.length - 1);
    }
  }
  const numPuzzles = puzzleStarts.length;
  puzzleStarts.push(n);
  groupStarts.push(numPuzzles);
  return {
    numExamples: n,
    puzzleStarts: Int32Array.from(puzzleStarts),
    groupStarts: Int32Array.from(groupStarts),
    numPuzzles,
    numGroups: groupStarts.length - 1,
    meanPuzzleExamples: n / numPuzzles,
  };
}
