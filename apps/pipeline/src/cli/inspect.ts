// `trm inspect PATH`: manifest, schema, metadata, row counts and a few decoded rows of an artifact.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { DatasetLib, Grid } from '@trm/dataset';
import { openArrowFile, type Row } from '../artifacts/arrow-table.ts';
import { resolveDataset } from '../registry.ts';

function fmtCell(v: unknown): string {
  if (v instanceof Uint8Array) return `[${Array.from(v.subarray(0, 24)).join(',')}${v.length > 24 ? `,… (${v.length})` : ''}]`;
  return JSON.stringify(v);
}

function gridsOf(r: Row, encodeCfg: Record<string, unknown> | null, lib: DatasetLib | null): [string, Grid][] {
  const out: [string, Grid][] = [];
  if (r.input instanceof Uint8Array) {
    out.push(['input', { rows: r.in_rows as number, cols: r.in_cols as number, cells: r.input }]);
    if (r.output instanceof Uint8Array) out.push(['output', { rows: r.out_rows as number, cols: r.out_cols as number, cells: r.output }]);
  } else if (lib && encodeCfg) {
    for (const k of ['inputs', 'labels', 'preds']) if (r[k] instanceof Uint8Array) out.push([k, lib.decode(r[k] as Uint8Array, encodeCfg)]);
  }
  return out;
}

async function inspectTable(file: string, rowsToShow: number, lib: DatasetLib | null, out: (s: string) => void): Promise<void> {
  const { info, batches } = await openArrowFile(file);
  out(`${file}`);
  out(`  schema: ${info.schema.fields.map((f) => `${f.name}: ${f.type}${f.nullable ? '?' : ''}`).join(', ')}`);
  let meta: Record<string, unknown> | null = null;
  for (const [k, v] of Object.entries(info.metadata)) {
    out(`  metadata ${k}: ${v.length > 400 ? v.slice(0, 400) + '…' : v}`);
    if (k === 'trm.encode') meta = JSON.parse(v) as Record<string, unknown>;
  }
  let rows = 0;
  const shown: Row[] = [];
  for await (const b of batches) {
    rows += b.length;
    for (const r of b) if (shown.length < rowsToShow) shown.push(r);
  }
  out(`  batches: ${info.batches}, rows: ${rows}`);
  for (const [i, r] of shown.entries()) {
    out(`  row ${i}: ${Object.entries(r).map(([k, v]) => `${k}=${fmtCell(v)}`).join(' ')}`);
    if (!lib) continue;
    for (const [name, g] of gridsOf(r, meta, lib)) {
      out(`    ${name}:`);
      for (const line of lib.renderText(g).split('\n')) out(`      ${line}`);
    }
  }
}

/** Tensor names, dtypes and shapes from a safetensors header (reads only the header). */
function inspectSafetensors(file: string, out: (s: string) => void): void {
  const fd = fs.openSync(file, 'r');
  try {
    const len = Buffer.alloc(8);
    fs.readSync(fd, len, 0, 8, 0);
    const n = Number(len.readBigUInt64LE(0));
    if (n > 100_000_000 || n + 8 > fs.fstatSync(fd).size) throw new Error(`${file}: not a safetensors file (header length ${n})`);
    const header = Buffer.alloc(n);
    fs.readSync(fd, header, 0, n, 8);
    const h = JSON.parse(header.toString('utf8')) as Record<string, { dtype: string; shape: number[] }>;
    const names = Object.keys(h).filter((k) => k !== '__metadata__');
    const count = names.reduce((a, k) => a + h[k].shape.reduce((x, y) => x * y, 1), 0);
    out(`${file}: ${names.length} tensors, ${count.toLocaleString()} values`);
    for (const k of names) out(`  ${k}: ${h[k].dtype} [${h[k].shape.join(', ')}]`);
  } finally {
    fs.closeSync(fd);
  }
}

/** Prints what an artifact folder or file holds. `root` resolves the manifest's dataset for decoding. */
export async function inspect(target: string, opts: { rows: number; root: string }, out: (s: string) => void = console.log): Promise<void> {
  if (!fs.existsSync(target)) throw new Error(`${target}: no such file or folder`);
  const isDir = fs.statSync(target).isDirectory();
  const dir = isDir ? target : path.dirname(target);
  const manifestFile = path.join(dir, 'manifest.json');
  let lib: DatasetLib | null = null;
  let files: string[];
  if (fs.existsSync(manifestFile)) {
    const m = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    out(`${manifestFile}`);
    out(`  kind ${m.kind} v${m.schemaVersion}, config ${m.config}, dataset ${m.dataset}, backend ${m.backend ? `${m.backend.name} ${m.backend.version}` : '-'}`);
    out(`  configHash ${m.configHash}, code ${m.code}`);
    for (const [s, h] of Object.entries(m.inputs ?? {})) out(`  input ${s}: ${h}`);
    for (const [f, e] of Object.entries(m.files ?? {}) as [string, { bytes: number; rows?: number }][]) out(`  file ${f}: ${e.bytes} bytes${e.rows !== undefined ? `, ${e.rows} rows` : ''}`);
    try {
      lib = (await resolveDataset(m.dataset, opts.root)).lib;
    } catch {
      lib = null;
    }
    files = isDir ? Object.keys(m.files ?? {}).map((f) => path.join(dir, f)) : [target];
  } else {
    files = isDir ? fs.readdirSync(dir).filter((f) => f.endsWith('.arrow')).map((f) => path.join(dir, f)) : [target];
  }
  for (const f of files) {
    if (f.endsWith('.arrow')) await inspectTable(f, opts.rows, lib, out);
    else if (f.endsWith('.safetensors')) inspectSafetensors(f, out);
    else if (f.endsWith('.json')) {
      const text = fs.readFileSync(f, 'utf8');
      out(`${f}\n${text.length > 1500 ? text.slice(0, 1500) + '\n…' : text}`);
    }
    else out(`${f}: ${fs.statSync(f).size} bytes`);
  }
}
