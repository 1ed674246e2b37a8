// The formats of the catalog (catalog/entries.mjs): for each, what a stage returns to have it written (the writer) and
// what a stage gets to read it (the reader). Stages never open files; they receive these readers and return these
// values, and the catalog (catalog/index.ts) decides where each lives.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { TensorDict } from '@trm/tensor-core';
import { openArrowFile, readColumnBatches, writeArrowFile, type ColumnBatch, type ColumnSpec, type Row } from '../artifacts/arrow-table.ts';
import { ArtifactError } from '../artifacts/manifest.ts';
import type { CatalogFormat } from './entries.mjs';

// ---- what a stage returns ----

export interface TableOutput {
  format: 'arrow';
  columns: readonly ColumnSpec[];
  /** consumed once, batch by batch (a generator keeps memory bounded) */
  rows: Iterable<Row> | AsyncIterable<Row>;
  /** schema metadata */
  metadata?: Record<string, string>;
}
export interface JsonOutput { format: 'json'; value: unknown }
/** tensors to encode, or a safetensors file's bytes as they are (a copied model) */
export type SafetensorsOutput = { format: 'safetensors'; tensors: TensorDict; metadata?: Record<string, string> } | { format: 'safetensors'; bytes: Uint8Array };
export interface TextOutput { format: 'text'; text: string }
/** files named at run time (report images, a dataset's task files): relative name -> content (objects as JSON) */
export interface FilesOutput { format: 'files'; files: Record<string, string | Uint8Array | object> }
export type Output = TableOutput | JsonOutput | SafetensorsOutput | TextOutput | FilesOutput;

export const table = (columns: readonly ColumnSpec[], rows: Iterable<Row> | AsyncIterable<Row>, metadata?: Record<string, string>): TableOutput => ({ format: 'arrow', columns, rows, metadata });
export const json = (value: unknown): JsonOutput => ({ format: 'json', value });
export const safetensors = (tensors: TensorDict, metadata?: Record<string, string>): SafetensorsOutput => ({ format: 'safetensors', tensors, metadata });
export const safetensorsBytes = (bytes: Uint8Array): SafetensorsOutput => ({ format: 'safetensors', bytes });
export const text = (t: string): TextOutput => ({ format: 'text', text: t });
export const files = (f: Record<string, string | Uint8Array | object>): FilesOutput => ({ format: 'files', files: f });

/** JSON as the catalog writes it: `indent` spaces (0 = one line), a final newline. */
export function jsonText(value: unknown, indent = 0): string {
  return `${JSON.stringify(value, null, indent || undefined)}\n`;
}

/** Writes one output to `file` (a path inside the stage's temporary folder). */
export async function writeOutput(file: string, out: Output, opts: { indent?: number } = {}): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  switch (out.format) {
    case 'arrow':
      await writeArrowFile(file, out.columns, out.rows, { metadata: out.metadata });
      return;
    case 'json':
      fs.writeFileSync(file, jsonText(out.value, opts.indent));
      return;
    case 'safetensors': {
      if ('bytes' in out) {
        fs.writeFileSync(file, out.bytes);
        return;
      }
      const { encodeSafetensors } = await import('@trm/tensor-core');
      fs.writeFileSync(file, encodeSafetensors(out.tensors, out.metadata));
      return;
    }
    case 'text':
      fs.writeFileSync(file, out.text);
      return;
    case 'files':
      throw new Error('catalog: a files output is written file by file (catalog/index.ts)');
  }
}

/** Content of one file of a `files` output. */
export function fileContent(v: string | Uint8Array | object, indent = 1): string | Uint8Array {
  return typeof v === 'string' || v instanceof Uint8Array ? v : jsonText(v, indent);
}

// ---- what a stage reads ----

/** An Arrow table of an upstream stage, read batch by batch (bounded memory) each time it is asked for. */
export interface TableInput {
  /** the file, for messages */
  readonly name: string;
  /** row count recorded in the upstream manifest */
  readonly rowCount: number | null;
  rows(): AsyncGenerator<Row>;
  /** every row in memory (small tables) */
  all(): Promise<Row[]>;
  /** flat typed columns, batch by batch (large numeric tables) */
  columns(): AsyncGenerator<ColumnBatch>;
  metadata(): Promise<Record<string, string>>;
}

export function tableInput(file: string, rowCount: number | null): TableInput {
  return {
    name: file,
    rowCount,
    async *rows() {
      const { batches } = await openArrowFile(file);
      for await (const b of batches) yield* b;
    },
    async all() {
      const out: Row[] = [];
      const { batches } = await openArrowFile(file);
      for await (const b of batches) for (const r of b) out.push(r);
      return out;
    },
    columns: () => readColumnBatches(file),
    async metadata() {
      const { info, close } = await openArrowFile(file);
      await close();
      return info.metadata;
    },
  };
}

export function readJson<T>(file: string): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new ArtifactError(`${file}: unreadable JSON (${(e as Error).message})`);
  }
}

export interface SafetensorsHeader { [name: string]: { dtype: string; shape: number[] } }

/** A safetensors file: its header alone (no tensor library needed), or the tensors. */
export interface SafetensorsInput {
  readonly name: string;
  header(): SafetensorsHeader;
  read(): Promise<{ tensors: TensorDict; metadata: Record<string, string> }>;
}

export function safetensorsInput(file: string): SafetensorsInput {
  return {
    name: file,
    header() {
      const fd = fs.openSync(file, 'r');
      try {
        const len = Buffer.alloc(8);
        fs.readSync(fd, len, 0, 8, 0);
        const n = Number(len.readBigUInt64LE(0));
        if (n <= 0 || n > 100_000_000) throw new ArtifactError(`${file}: bad safetensors header length ${n}`);
        const head = Buffer.alloc(n);
        fs.readSync(fd, head, 0, n, 8);
        const all = JSON.parse(head.toString('utf8')) as Record<string, { dtype: string; shape: number[] }>;
        delete all.__metadata__;
        return all;
      } finally {
        fs.closeSync(fd);
      }
    },
    async read() {
      const { decodeSafetensors } = await import('@trm/tensor-core');
      const { tensors, metadata } = decodeSafetensors(new Uint8Array(fs.readFileSync(file)), path.basename(file));
      return { tensors, metadata: metadata ?? {} };
    },
  };
}

export type Format = CatalogFormat;
