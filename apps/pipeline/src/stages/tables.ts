// Column layouts of the stage tables (docs/DESIGN.md "Artifacts") and row <-> object conversions.
import type { AugmentedPuzzle, Grid, RawExample, RawPuzzle } from '@trm/dataset';
import type { ColumnSpec, Row } from '../artifacts/arrow-table.ts';

const gridColumns: ColumnSpec[] = [
  { name: 'in_rows', kind: 'uint8' },
  { name: 'in_cols', kind: 'uint8' },
  { name: 'out_rows', kind: 'uint8', nullable: true },
  { name: 'out_cols', kind: 'uint8', nullable: true },
  { name: 'input', kind: 'list-u8' },
  { name: 'output', kind: 'list-u8', nullable: true },
];

export const puzzleColumns: ColumnSpec[] = [
  { name: 'split', kind: 'utf8' },
  { name: 'puzzle_id', kind: 'utf8' },
  { name: 'example_index', kind: 'int32' },
  { name: 'role', kind: 'utf8' },
  { name: 'rating', kind: 'int32', nullable: true },
  { name: 'source', kind: 'utf8' },
  ...gridColumns,
];

export const augmentedColumns: ColumnSpec[] = [
  { name: 'group', kind: 'int32' },
  { name: 'aug_index', kind: 'int32' },
  { name: 'name', kind: 'utf8' },
  { name: 'transform', kind: 'utf8' },
  { name: 'example_index', kind: 'int32' },
  { name: 'role', kind: 'utf8' },
  ...gridColumns,
  { name: 'offset_row', kind: 'uint8', nullable: true },
  { name: 'offset_col', kind: 'uint8', nullable: true },
];

export function encodedColumns(seqLen: number): ColumnSpec[] {
  return [
    { name: 'inputs', kind: { fixedU8: seqLen } },
    { name: 'labels', kind: { fixedU8: seqLen } },
    { name: 'puzzle_identifier', kind: 'int32' },
    { name: 'puzzle_index', kind: 'int32' },
    { name: 'group_index', kind: 'int32' },
  ];
}

function checkGrid(g: Grid, what: string): void {
  if (g.rows > 255 || g.cols > 255 || g.cells.length !== g.rows * g.cols) throw new Error(`${what}: grid ${g.rows}x${g.cols} with ${g.cells.length} cells (expected rows*cols cells, sides <= 255)`);
}

function gridCells(ex: RawExample, what: string): Row {
  checkGrid(ex.input, `${what} input`);
  if (ex.output) checkGrid(ex.output, `${what} output`);
  return {
    in_rows: ex.input.rows,
    in_cols: ex.input.cols,
    out_rows: ex.output ? ex.output.rows : null,
    out_cols: ex.output ? ex.output.cols : null,
    input: ex.input.cells,
    output: ex.output ? ex.output.cells : null,
  };
}

export function exampleFromRow(r: Row): RawExample {
  const ex: RawExample = {
    input: { rows: r.in_rows as number, cols: r.in_cols as number, cells: r.input as Uint8Array },
    output: r.output === null ? null : { rows: r.out_rows as number, cols: r.out_cols as number, cells: r.output as Uint8Array },
    role: r.role as 'train' | 'test',
  };
  if (r.offset_row !== undefined && r.offset_row !== null) ex.offset = { row: r.offset_row as number, col: r.offset_col as number };
  return ex;
}

export function* puzzleRows(p: RawPuzzle): Generator<Row> {
  if (p.split !== 'train' && p.split !== 'test') throw new Error(`puzzle ${p.id}: split ${JSON.stringify(p.split)}, expected train or test`);
  for (const [i, ex] of p.examples.entries()) {
    yield { split: p.split, puzzle_id: p.id, example_index: i, role: ex.role, rating: p.rating ?? null, source: p.source ?? '', ...gridCells(ex, `puzzle ${p.id} example ${i}`) };
  }
}

/** Groups consecutive rows of puzzles.arrow back into puzzles. */
export async function collectPuzzles(rows: AsyncIterable<Row>): Promise<RawPuzzle[]> {
  const out: RawPuzzle[] = [];
  let cur: RawPuzzle | null = null;
  for await (const r of rows) {
    if (!cur || cur.id !== r.puzzle_id || cur.split !== r.split) {
      cur = { id: r.puzzle_id as string, split: r.split as 'train' | 'test', examples: [], source: (r.source as string) || undefined };
      if (r.rating !== null) cur.rating = r.rating as number;
      out.push(cur);
    }
    cur.examples.push(exampleFromRow(r));
  }
  return out;
}

export function* augmentedRows(p: AugmentedPuzzle): Generator<Row> {
  for (const [i, ex] of p.examples.entries()) {
    yield { group: p.group, aug_index: p.augIndex, name: p.name, transform: p.transform, example_index: i, role: ex.role, ...gridCells(ex, `group ${p.group} copy ${p.augIndex} example ${i}`), offset_row: ex.offset ? ex.offset.row : null, offset_col: ex.offset ? ex.offset.col : null };
  }
}
