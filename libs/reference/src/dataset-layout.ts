// The reference builders' dataset layout (dataset/build_*_dataset.py), which pretrain.py's PuzzleDataset reads:
//   <out>/identifiers.json                    JSON list, index = puzzle identifier, entry 0 "<blank>"
//   <out>/<split>/dataset.json                PuzzleDatasetMetadata, json.dump of its model_dump()
//   <out>/<split>/<set>__inputs.npy           uint8 [examples, seq_len]
//   <out>/<split>/<set>__labels.npy           uint8 [examples, seq_len]
//   <out>/<split>/<set>__puzzle_identifiers.npy  int32 [puzzles]
//   <out>/<split>/<set>__puzzle_indices.npy   int32 [puzzles + 1]: first example of each puzzle, then the total
//   <out>/<split>/<set>__group_indices.npy    int32 [groups + 1]: first puzzle of each group, then the total
// A group is one original puzzle and its augmented copies; a puzzle is one or more examples (ARC: demonstrations).
import { PythonFloat, pythonJson } from './python-json.ts';

export const REFERENCE_ARRAYS = ['inputs', 'labels', 'puzzle_identifiers', 'puzzle_indices', 'group_indices'] as const;
export type ReferenceArray = (typeof REFERENCE_ARRAYS)[number];

/** `<set>__<array>.npy` */
export const referenceArrayFile = (set: string, array: ReferenceArray) => `${set}__${array}.npy`;

/** common.py's PuzzleDatasetMetadata, fields in its declaration order (the order model_dump writes). */
export interface ReferenceMetadata {
  pad_id: number;
  ignore_label_id: number | null;
  blank_identifier_id: number;
  vocab_size: number;
  seq_len: number;
  num_puzzle_identifiers: number;
  total_groups: number;
  mean_puzzle_examples: number;
  total_puzzles: number;
  sets: string[];
}

/** dataset.json exactly as `json.dump(metadata.model_dump(), f)` writes it (no trailing newline). */
export function referenceDatasetJson(m: ReferenceMetadata): string {
  const ordered = {
    pad_id: m.pad_id,
    ignore_label_id: m.ignore_label_id,
    blank_identifier_id: m.blank_identifier_id,
    vocab_size: m.vocab_size,
    seq_len: m.seq_len,
    num_puzzle_identifiers: m.num_puzzle_identifiers,
    total_groups: m.total_groups,
    mean_puzzle_examples: new PythonFloat(m.mean_puzzle_examples),
    total_puzzles: m.total_puzzles,
    sets: m.sets,
  };
  return pythonJson(ordered);
}

/** identifiers.json as the builders write it. */
export const referenceIdentifiersJson = (names: readonly string[]) => pythonJson([...names]);

export interface ExampleKeys {
  puzzleIdentifier: number;
  /** the puzzle (an augmented copy) this example belongs to; consecutive examples of one puzzle share it */
  puzzleIndex: number;
  /** the group (an original puzzle with its copies) */
  groupIndex: number;
}

class IntList {
  private data = new Int32Array(1024);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }
  toArray(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/**
 * Builds puzzle_identifiers, puzzle_indices and group_indices from examples streamed in order (memory: 4 bytes per
 * puzzle and group, none per example). A new puzzle starts where `puzzleIndex` or `groupIndex` changes, a new group
 * where `groupIndex` changes (so the examples of a group must be consecutive); the examples of one puzzle share its
 * identifier.
 */
export class ReferenceIndexBuilder {
  private readonly identifiers = new IntList();
  private readonly puzzleStarts = new IntList();
  private readonly groupStarts = new IntList();
  private examples = 0;
  private last: ExampleKeys | null = null;

  constructor(private readonly where = 'examples') {}

  add(k: ExampleKeys): void {
    const row = this.examples;
    const newGroup = this.last === null || k.groupIndex !== this.last.groupIndex;
    const newPuzzle = newGroup || k.puzzleIndex !== this.last!.puzzleIndex;
    if (newGroup) {
      this.groupStarts.push(this.puzzleStarts.length);
    }
    if (newPuzzle) {
      this.puzzleStarts.push(row);
      this.identifiers.push(k.puzzleIdentifier);
    } else if (k.puzzleIdentifier !== this.last!.puzzleIdentifier) {
      throw new Error(`${this.where} row ${row}: puzzle ${k.puzzleIndex} has identifiers ${this.last!.puzzleIdentifier} and ${k.puzzleIdentifier}; one puzzle has one identifier`);
    }
    this.last = { ...k };
    this.examples++;
  }

  get counts(): { examples: number; puzzles: number; groups: number } {
    return { examples: this.examples, puzzles: this.puzzleStarts.length, groups: this.groupStarts.length };
  }

  /** The three index arrays, each with its closing total. */
  finish(): { puzzle_identifiers: Int32Array; puzzle_indices: Int32Array; group_indices: Int32Array } {
    const puzzles = this.puzzleStarts.toArray();
    const groups = this.groupStarts.toArray();
    const puzzleIndices = new Int32Array(puzzles.length + 1);
    puzzleIndices.set(puzzles);
    puzzleIndices[puzzles.length] = this.examples;
    const groupIndices = new Int32Array(groups.length + 1);
    groupIndices.set(groups);
    groupIndices[groups.length] = puzzles.length;
    return { puzzle_identifiers: this.identifiers.toArray(), puzzle_indices: puzzleIndices, group_indices: groupIndices };
  }
}
