// The reference builder's output folder: <path>/<split>/all__{inputs,labels,puzzle_indices,group_indices}.npy
// with tokens = digit + 1 (1 = blank, 0 = PAD). Only the first puzzle of each group (the un-augmented original) is kept.
import { parseNpy } from '@trm/dataset';
import type { NpyArray, SourceIO } from '@trm/dataset';
import type { BoardSpec } from '../board.ts';
import { answerProblem } from './records.ts';
import type { SudokuRecord } from './records.ts';

async function readNpy(io: SourceIO, path: string): Promise<NpyArray> {
  return parseNpy(await io.readBytes(path), path);
}

/** Records of one split, or null when the folder has no such split. */
export async function readReferenceSplit(io: SourceIO, root: string, split: 'train' | 'test', spec: BoardSpec): Promise<SudokuRecord[] | null> {
  const dir = io.join(root, split);
  const inputsPath = io.join(dir, 'all__inputs.npy');
  if (!(await io.exists(inputsPath))) return null;
  const labelsPath = io.join(dir, 'all__labels.npy');
  const inputs = await readNpy(io, inputsPath);
  const labels = await readNpy(io, labelsPath);
  for (const [arr, path] of [[inputs, inputsPath], [labels, labelsPath]] as const) {
    if (arr.shape.length !== 2 || arr.shape[1] !== spec.cells) {
      throw new Error(`${path}: expected shape [examples, ${spec.cells}] for a ${spec.n}x${spec.n} board, found [${arr.shape.join(', ')}]`);
    }
    if (arr.dtype === 'float32' || arr.dtype === 'float64' || arr.dtype === 'bool') throw new Error(`${path}: expected an integer dtype, found ${arr.dtype}`);
  }
  if (inputs.shape[0] !== labels.shape[0]) {
    throw new Error(`${labelsPath}: ${labels.shape[0]} rows but ${inputsPath} has ${inputs.shape[0]}`);
  }
  // originals: the first example of the first puzzle of each group
  let originals: number[] = Array.from({ length: inputs.shape[0] }, (_, i) => i);
  const groupsPath = io.join(dir, 'all__group_indices.npy');
  const puzzlesPath = io.join(dir, 'all__puzzle_indices.npy');
  if ((await io.exists(groupsPath)) && (await io.exists(puzzlesPath))) {
    const groups = (await readNpy(io, groupsPath)).data;
    const puzzleStart = (await readNpy(io, puzzlesPath)).data;
    originals = [];
    for (let g = 0; g + 1 < groups.length; g++) {
      const p = Number(groups[g]);
      if (p < 0 || p >= puzzleStart.length) throw new Error(`${groupsPath}: group ${g} points at puzzle ${p}, outside ${puzzlesPath}`);
      originals.push(Number(puzzleStart[p]));
    }
  }
  const tokenToDigit = (v: number, path: string, row: number, i: number, allowBlank: boolean): number => {
    const d = v - 1;
    if (d < (allowBlank ? 0 : 1) || d > spec.n) {
      throw new Error(`${path} row ${row}: token ${v} at position ${i + 1} (expected ${allowBlank ? 1 : 2}..${spec.n + 1}: ${allowBlank ? '1 = blank, ' : ''}digit + 1)`);
    }
    return d;
  };
  return originals.map((row) => {
    const question = new Uint8Array(spec.cells);
    const answer = new Uint8Array(spec.cells);
    for (let i = 0; i < spec.cells; i++) {
      question[i] = tokenToDigit(Number(inputs.data[row * spec.cells + i]), inputsPath, row, i, true);
      answer[i] = tokenToDigit(Number(labels.data[row * spec.cells + i]), labelsPath, row, i, false);
    }
    const problem = answerProblem(question, answer, spec);
    if (problem) throw new Error(`${labelsPath} row ${row}: ${problem}`);
    return { question, answer, source: `reference-npy:${dir}` };
  });
}
