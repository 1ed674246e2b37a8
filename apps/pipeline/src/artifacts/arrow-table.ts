// Arrow IPC *file* format tables, uncompressed, written and read batch by batch (bounded memory).
// Columns are described by a small spec so stages write rows without touching arrow builders.
import * as fs from 'node:fs';
import {
  type AsyncRecordBatchFileReader,
  Bool, Field, FixedSizeList, Float32, Float64, Int32, List, RecordBatch, RecordBatchFileWriter, RecordBatchReader, Schema, Struct, Uint8, Utf8,
  makeData, type Data, type DataType,
} from 'apache-arrow';

export type ColumnKind = 'utf8' | 'int32' | 'uint8' | 'float32' | 'float64' | 'bool' | 'list-u8' | { fixedU8: number };
export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
  nullable?: boolean;
}
export type Cell = string | number | boolean | Uint8Array | null;
export type Row = Record<string, Cell>;

function arrowType(kind: ColumnKind): DataType {
  if (typeof kind === 'object') return new FixedSizeList(kind.fixedU8, new Field('item', new Uint8(), false));
  switch (kind) {
    case 'utf8': return new Utf8();
    case 'int32': return new Int32();
    case 'uint8': return new Uint8();
    case 'float32': return new Float32();
    case 'float64': return new Float64();
    case 'bool': return new Bool();
    case 'list-u8': return new List(new Field('item', new Uint8(), false));
  }
}

export function makeSchema(columns: readonly ColumnSpec[], metadata: Record<string, string> = {}): Schema {
  const fields = columns.map((c) => new Field(c.name, arrowType(c.kind), !!c.nullable));
  return new Schema(fields, new Map(Object.entries(metadata).sort(([a], [b]) => (a < b ? -1 : 1))));
}

function validity(values: Cell[], nullable: boolean | undefined, name: string): { bitmap?: Uint8Array; nullCount: number } {
  let nullCount = 0;
  const bitmap = new Uint8Array(Math.ceil(values.length / 8));
  values.forEach((v, i) => {
    if (v === null || v === undefined) nullCount++;
    else bitmap[i >> 3] |= 1 << (i & 7);
  });
  if (nullCount && !nullable) throw new Error(`column ${name}: null value in a non-nullable column`);
  return nullCount ? { bitmap, nullCount } : { nullCount: 0 };
}

function columnData(c: ColumnSpec, values: Cell[]): Data {
  const type = arrowType(c.kind);
  const n = values.length;
  const { bitmap, nullCount } = validity(values, c.nullable, c.name);
  const base = { type, length: n, nullCount, nullBitmap: bitmap } as const;
  const kind = c.kind;
  if (typeof kind === 'object') {
    const s = kind.fixedU8;
    const flat = new Uint8Array(n * s);
    values.forEach((v, i) => {
      if (v === null) return;
      const a = v as Uint8Array;
      if (!(a instanceof Uint8Array) || a.length !== s) throw new Error(`column ${c.name} row ${i}: expected ${s} uint8 values, got ${a?.length}`);
      flat.set(a, i * s);
    });
    return makeData({ ...base, type: type as FixedSizeList<Uint8>, child: makeData({ type: new Uint8(), length: n * s, data: flat }) });
  }
  switch (kind) {
    case 'utf8': {
      const enc = new TextEncoder();
      const parts = values.map((v) => enc.encode(v === null ? '' : String(v)));
      const offsets = new Int32Array(n + 1);
      parts.forEach((p, i) => (offsets[i + 1] = offsets[i] + p.length));
      const data = new Uint8Array(offsets[n]);
      parts.forEach((p, i) => data.set(p, offsets[i]));
      return makeData({ ...base, type: type as Utf8, valueOffsets: offsets, data });
    }
    case 'int32': return makeData({ ...base, type: type as Int32, data: Int32Array.from(values, (v) => (v === null ? 0 : Number(v))) });
    case 'uint8': return makeData({ ...base, type: type as Uint8, data: Uint8Array.from(values, (v) => (v === null ? 0 : Number(v))) });
    case 'float32': return makeData({ ...base, type: type as Float32, data: Float32Array.from(values, (v) => (v === null ? 0 : Number(v))) });
    case 'float64': return makeData({ ...base, type: type as Float64, data: Float64Array.from(values, (v) => (v === null ? 0 : Number(v))) });
    case 'bool': {
      const data = new Uint8Array(Math.ceil(n / 8));
      values.forEach((v, i) => { if (v) data[i >> 3] |= 1 << (i & 7); });
      return makeData({ ...base, type: type as Bool, data });
    }
    case 'list-u8': {
      const offsets = new Int32Array(n + 1);
      values.forEach((v, i) => (offsets[i + 1] = offsets[i] + (v === null ? 0 : (v as Uint8Array).length)));
      const flat = new Uint8Array(offsets[n]);
      values.forEach((v, i) => { if (v !== null) flat.set(v as Uint8Array, offsets[i]); });
      return makeData({ ...base, type: type as List<Uint8>, valueOffsets: offsets, child: makeData({ type: new Uint8(), length: flat.length, data: flat }) });
    }
  }
}

/** Writes an Arrow IPC file one batch at a time. Call `write(rows)` per batch, then `close()`. */
export class ArrowFileWriter {
  readonly schema: Schema;
  private readonly writer = new RecordBatchFileWriter();
  private readonly out: fs.WriteStream;
  private readonly closed: Promise<void>;
  rows = 0;

  constructor(readonly file: string, readonly columns: readonly ColumnSpec[], metadata: Record<string, string> = {}) {
    this.schema = makeSchema(columns, metadata);
    this.out = fs.createWriteStream(file);
    this.closed = new Promise((resolve, reject) => {
      this.out.on('close', () => resolve());
      this.out.on('error', reject);
    });
    this.writer.toNodeStream().pipe(this.out);
    this.writer.reset(undefined, this.schema);
  }

  async write(rows: readonly Row[]): Promise<void> {
    if (rows.length === 0) return;
    this.writeBatch(rows);
    if (this.out.writableLength > 64 << 20) await new Promise<void>((r) => this.out.once('drain', () => r()));
  }

  private writeBatch(rows: readonly Row[]): void {
    const children = this.columns.map((c) => columnData(c, rows.map((r) => (r[c.name] === undefined ? null : r[c.name]))));
    const struct = makeData({ type: new Struct(this.schema.fields), length: rows.length, nullCount: 0, children });
    this.writer.write(new RecordBatch(this.schema, struct));
    this.rows += rows.length;
  }

  async close(): Promise<void> {
    // a table without rows still gets one empty batch: apache-arrow cannot read a List column of a file with none
    if (this.rows === 0) this.writeBatch([]);
    this.writer.finish();
    await this.closed;
  }
}

/** Writes all rows from an (async) iterable, `batchSize` rows per record batch. Returns the row count. */
export async function writeArrowFile(file: string, columns: readonly ColumnSpec[], rows: Iterable<Row> | AsyncIterable<Row>, opts: { metadata?: Record<string, string>; batchSize?: number } = {}): Promise<number> {
  const w = new ArrowFileWriter(file, columns, opts.metadata);
  const size = opts.batchSize ?? 4096;
  let batch: Row[] = [];
  try {
    for await (const r of rows) {
      batch.push(r);
      if (batch.length >= size) { await w.write(batch); batch = []; }
    }
    await w.write(batch);
  } finally {
    await w.close();
  }
  return w.rows;
}

function cellsOf(field: Field, data: Data): (i: number) => Cell {
  const t = field.type;
  const valid = (i: number) => data.nullCount === 0 || data.getValid(i);
  if (t instanceof FixedSizeList) {
    const s = t.listSize;
    const child = data.children[0];
    const values = (child.values as Uint8Array).subarray(child.offset);
    return (i) => (valid(i) ? values.slice((data.offset + i) * s, (data.offset + i + 1) * s) : null);
  }
  if (t instanceof List) {
    const child = data.children[0];
    const values = (child.values as Uint8Array).subarray(child.offset);
    const off = data.valueOffsets as Int32Array;
    return (i) => (valid(i) ? values.slice(off[data.offset + i], off[data.offset + i + 1]) : null);
  }
  if (t instanceof Utf8) {
    const dec = new TextDecoder();
    const off = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    return (i) => (valid(i) ? dec.decode(bytes.subarray(off[data.offset + i], off[data.offset + i + 1])) : null);
  }
  if (t instanceof Bool) {
    const bits = data.values as Uint8Array;
    return (i) => { const j = data.offset + i; return valid(i) ? ((bits[j >> 3] >> (j & 7)) & 1) === 1 : null; };
  }
  const values = data.values as Int32Array | Uint8Array | Float32Array;
  return (i) => (valid(i) ? values[data.offset + i] : null);
}

export interface ArrowFileInfo {
  schema: Schema;
  metadata: Record<string, string>;
  batches: number;
}

/** Opens an IPC file through a FileHandle (the async file reader reads batch by batch). */
/** Reading every batch (or `close()`) releases the file handle. */
export async function openArrowFile(file: string): Promise<{ info: ArrowFileInfo; batches: AsyncGenerator<Row[]>; close(): Promise<void> }> {
  const fh = await fs.promises.open(file);
  let reader: AsyncRecordBatchFileReader;
  try {
    const r = await RecordBatchReader.from(fh);
    await r.open();
    if (!r.isFile()) throw new Error('expected the Arrow IPC file format, found a stream');
    reader = r as unknown as AsyncRecordBatchFileReader;
  } catch (e) {
    await fh.close();
    throw new Error(`${file}: not a readable Arrow IPC file (${(e as Error).message})`);
  }
  const schema = reader.schema;
  const info: ArrowFileInfo = { schema, metadata: Object.fromEntries(schema.metadata), batches: reader.numRecordBatches };
  async function* gen(): AsyncGenerator<Row[]> {
    try {
      for await (const batch of reader) {
        if (batch.numRows === 0) continue; // a table without rows reads as one batch without columns
        const getters = schema.fields.map((f, j) => [f.name, cellsOf(f, batch.data.children[j])] as const);
        const rows: Row[] = new Array(batch.numRows);
        for (let i = 0; i < batch.numRows; i++) {
          const r: Row = {};
          for (const [name, get] of getters) r[name] = get(i);
          rows[i] = r;
        }
        yield rows;
      }
    } catch (e) {
      throw new Error(`${file}: corrupt or truncated Arrow file (${(e as Error).message})`);
    } finally {
      await fh.close();
    }
  }
  return { info, batches: gen(), close: () => fh.close() };
}

/** One record batch as flat typed arrays (no per-row objects): for large numeric tables. */
export interface ColumnBatch {
  numRows: number;
  /** FixedSizeList<Uint8>[S] column as one [numRows*S] array */
  fixedU8(name: string): Uint8Array;
  int32(name: string): Int32Array;
}

/** Record batches of an IPC file as flat columns, read through a FileHandle (bounded memory). */
export async function* readColumnBatches(file: string): AsyncGenerator<ColumnBatch> {
  const fh = await fs.promises.open(file);
  try {
    const reader = await RecordBatchReader.from(fh);
    await reader.open();
    if (!reader.isFile()) throw new Error('expected the Arrow IPC file format, found a stream');
    const schema = reader.schema;
    const index = (name: string, want: string) => {
      const i = schema.fields.findIndex((f) => f.name === name);
      if (i < 0) throw new Error(`${file}: no column ${name} (has ${schema.fields.map((f) => f.name).join(', ')})`);
      if (!String(schema.fields[i].type).startsWith(want)) throw new Error(`${file}: column ${name} is ${schema.fields[i].type}, expected ${want}`);
      return i;
    };
    for await (const batch of reader as AsyncIterable<RecordBatch>) {
      const n = batch.numRows;
      if (n === 0) continue; // a table without rows reads as one batch without columns
      yield {
        numRows: n,
        fixedU8(name) {
          const data = batch.data.children[index(name, 'FixedSizeList')];
          const s = (data.type as FixedSizeList).listSize;
          const child = data.children[0];
          return (child.values as Uint8Array).slice(child.offset + data.offset * s, child.offset + (data.offset + n) * s);
        },
        int32(name) {
          const data = batch.data.children[index(name, 'Int32')];
          return (data.values as Int32Array).slice(data.offset, data.offset + n);
        },
      };
    }
  } catch (e) {
    throw new Error(`${file}: cannot read Arrow columns (${(e as Error).message})`);
  } finally {
    await fh.close();
  }
}

/** Rows of an Arrow file, batch by batch. */
export async function* readArrowRows(file: string): AsyncGenerator<Row> {
  const { batches } = await openArrowFile(file);
  for await (const b of batches) yield* b;
}
