import type { DatasetLib, RawPuzzle, SourceIO } from '@trm/dataset';
import { augmentMazes, inverseTransform } from './augment.ts';
import { encodeExample, mazeShape, tokensToGrid, type Canvas } from './encode.ts';
import { canvasOf, evaluateMazes } from './evaluate.ts';
import { renderMazeSvg, renderMazeText } from './render.ts';
import { augmentSchema, encodeSchema, evaluateSchema, fetchSchema, option, optionalOption } from './schema.ts';
import { fetchCsv, fetchHuggingface, fetchReferenceNpy, generatePuzzles } from './sources.ts';
import type { GeneratorOptions } from './generator.ts';
import { mazeSolving } from './solving.ts';

// The Maze dataset lib: 2-D mazes (`#` wall, space open, `S` start, `G` goal), label = the
// shortest S-G path marked with `o`. Wires the sources, augmentation, token layout and metrics.

function canvas(encode: Record<string, unknown>): Canvas {
  return { rows: option<number>(encode, encodeSchema, 'encode', 'rows'), cols: option<number>(encode, encodeSchema, 'encode', 'cols') };
}

export function generatorOptions(cfg: Record<string, unknown>): GeneratorOptions {
  const get = <T extends number | string | boolean>(key: string) => option<T>(cfg, fetchSchema, 'fetch', key);
  return {
    rows: get('rows'),
    cols: get('cols'),
    algorithm: get<'carve' | 'random'>('algorithm'),
    minPathLength: get('min_path_length'),
    uniquePath: get('unique_path'),
    loopFraction: get('loop_fraction'),
    wallDensity: get('wall_density'),
    maxAttempts: get('max_attempts'),
  };
}

/** The run's top-level `seed`, which the pipeline adds to the fetch section (no fetch.seed of our own). */
function runSeed(cfg: Record<string, unknown>): number {
  const seed = cfg.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isInteger(seed)) throw new Error(`maze: seed must be an integer, got ${JSON.stringify(seed)}`);
  return seed;
}

async function fetchMazes(cfg: Record<string, unknown>, io: SourceIO): Promise<RawPuzzle[]> {
  const get = <T extends number | string | boolean>(key: string) => option<T>(cfg, fetchSchema, 'fetch', key);
  const limits = {
    train: optionalOption<number>(cfg, fetchSchema, 'fetch', 'train_limit'),
    test: optionalOption<number>(cfg, fetchSchema, 'fetch', 'test_limit'),
  };
  const size = { rows: get<number>('rows'), cols: get<number>('cols') };
  const source = get<string>('source');
  switch (source) {
    case 'generator':
      return generatePuzzles(generatorOptions(cfg), runSeed(cfg), { train: get('train_count'), test: get('test_count') }, io);
    case 'huggingface':
      return fetchHuggingface(io, limits, {
        revision: get<string>('revision'),
        sha256: { train: optionalOption<string>(cfg, fetchSchema, 'fetch', 'train_sha256'), test: optionalOption<string>(cfg, fetchSchema, 'fetch', 'test_sha256') },
      });
    case 'csv':
      return fetchCsv(io, { train: get('train_path'), test: get('test_path') }, size, limits);
    case 'reference-npy':
      return fetchReferenceNpy(io, get('path'), size, limits);
    default:
      throw new Error(`maze: unknown fetch.source ${source}`);
  }
}

export const maze: DatasetLib = {
  name: 'maze',
  description: 'Maze-Hard style 2-D mazes: mark the shortest path from S to G',
  schema: { fetch: fetchSchema, augment: augmentSchema, encode: encodeSchema, evaluate: evaluateSchema },
  shape: (encode) => mazeShape(canvas(encode)),
  fetch: fetchMazes,
  augment: (puzzles, cfg, _seed, split) =>
    // deterministic without the seed: the 8 transforms are all taken, in a fixed order
    augmentMazes(puzzles, split, split === 'train' && option<boolean>(cfg, augmentSchema, 'augment', 'dihedral')),
  inverse: inverseTransform,
  encode: (example, cfg) => encodeExample(example, canvas(cfg)),
  decode: (tokens, cfg) => tokensToGrid(tokens, canvas(cfg)),
  renderText: renderMazeText,
  renderSvg: renderMazeSvg,
  evaluate: (preds, cfg) => {
    const rows = optionalOption<number>(cfg, evaluateSchema, 'evaluate', 'rows');
    const cols = optionalOption<number>(cfg, evaluateSchema, 'evaluate', 'cols');
    return evaluateMazes(preds, (seqLen) => canvasOf(seqLen, rows, cols));
  },
  solving: mazeSolving,
};
