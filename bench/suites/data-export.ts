// Benchmark suite `data-export`: `trm export --format reference` (apps/pipeline/src/reference/export-data.ts) of
// synthetic encode tables of growing size, each export in a child process of its own so that its peak RSS is its
// own. The export streams the Arrow tables batch by batch, so peak RSS should stay flat as the row count grows
// (ARC with 1000 augmentations is ~4M examples of 900 tokens). Cases: rows x seq_len, ARC-shaped (900 tokens, 3
// examples per puzzle, 1001 puzzles per group) by default. Options: --set rows='[...]' --set seq_len=N; --quick:
// 20k and 60k rows.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { listOption, type BenchResult } from '../common.ts';

const SELF = fileURLToPath(import.meta.url);

interface ChildParams { mode: 'make' | 'export'; dir: string; rows: number; seqLen: number }
interface ChildReport { seconds: number; cpu_s: number; max_rss_kb: number; bytes: number }

function runChild(params: ChildParams): ChildReport {
  const child = spawnSync(process.execPath, ['--import', 'tsx', SELF, '--child', JSON.stringify(params)], { encoding: 'utf8', maxBuffer: 1 << 22 });
  if (child.status !== 0) throw new Error(`data-export/${params.mode} ${params.rows}: child failed (status ${child.status}): ${child.stderr.slice(-3000)}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as ChildReport;
}

export async function run(opts: { quick?: boolean; log?: (m: string) => void; rows?: unknown; seq_len?: unknown } = {}): Promise<BenchResult[]> {
  const sizes = opts.rows !== undefined ? listOption(opts.rows, 'number', 'data-export rows') : opts.quick ? [20_000, 60_000] : [100_000, 400_000, 1_600_000];
  const seqLen = typeof opts.seq_len === 'number' ? opts.seq_len : 900;
  const results: BenchResult[] = [];
  for (const rows of sizes) {
    const dir = mkdtempSync(join(os.tmpdir(), 'trm-bench-export-'));
    try {
      opts.log?.(`data-export: making an encode table of ${rows} rows x ${seqLen} tokens`);
      runChild({ mode: 'make', dir, rows, seqLen });
      opts.log?.(`data-export: exporting it (child process)`);
      const r = runChild({ mode: 'export', dir, rows, seqLen });
      results.push({
        name: `export --format reference, ${rows} rows x ${seqLen} tokens`, unit: 'examples/s', value: Math.round(rows / r.seconds),
        peak_rss_mb: Math.round(r.max_rss_kb / 102.4) / 10,
        extra: { rows, seq_len: seqLen, seconds: Math.round(r.seconds * 100) / 100, cpu_s: Math.round(r.cpu_s * 100) / 100, output_mb: Math.round(r.bytes / 1e5) / 10 },
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return results;
}

export function markdown(results: BenchResult[]): string {
  const lines = ['| rows x tokens | examples/s | peak RSS MB | output MB |', '|---|---:|---:|---:|'];
  for (const r of results) lines.push(`| ${r.extra?.rows} x ${r.extra?.seq_len} | ${r.value} | ${r.peak_rss_mb} | ${r.extra?.output_mb} |`);
  return lines.join('\n');
}

// ---- child side ----------------------------------------------------------------------------------------------

const EXAMPLES_PER_PUZZLE = 3;
const PUZZLES_PER_GROUP = 1001;

async function child(p: ChildParams): Promise<ChildReport> {
  const { writeArrowFile } = await import('../../apps/pipeline/src/artifacts/arrow-table.ts');
  const { encodedColumns } = await import('../../apps/pipeline/src/stages/tables.ts');
  const encodeDir = join(p.dir, 'encode');
  const table = join(encodeDir, 'train.arrow');
  const started = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  let bytes = 0;
  if (p.mode === 'make') {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(encodeDir, { recursive: true });
    const puzzles = Math.ceil(p.rows / EXAMPLES_PER_PUZZLE);
    const meta = {
      vocab_size: 12, seq_len: p.seqLen, pad_id: 0, ignore_label_id: 0, blank_identifier_id: 0, num_puzzle_identifiers: puzzles + 1,
      total_groups: Math.ceil(puzzles / PUZZLES_PER_GROUP), mean_puzzle_examples: p.rows / puzzles, total_puzzles: puzzles, sets: ['all'], token_names: [],
    };
    function* rows() {
      for (let i = 0; i < p.rows; i++) {
        const puzzle = Math.floor(i / EXAMPLES_PER_PUZZLE);
        const tokens = new Uint8Array(p.seqLen).fill((i % 10) + 2);
        yield { inputs: tokens, labels: tokens, puzzle_identifier: puzzle + 1, puzzle_index: puzzle, group_index: Math.floor(puzzle / PUZZLES_PER_GROUP) };
      }
    }
    await writeArrowFile(table, encodedColumns(p.seqLen), rows(), { metadata: { 'trm.dataset': JSON.stringify(meta) } });
    writeFileSync(join(encodeDir, 'identifiers.json'), JSON.stringify(['<blank>', ...Array.from({ length: puzzles }, (_, k) => `p${k}`)]));
  } else {
    const { exportReferenceDataset } = await import('../../apps/pipeline/src/reference/export-data.ts');
    process.env.TRM_QUIET = '1';
    const files = { 'train.arrow': { sha256: '', bytes: statSync(table).size, rows: p.rows }, 'identifiers.json': { sha256: '', bytes: 0 } };
    const out = join(p.dir, 'out');
    await exportReferenceDataset({ dir: encodeDir, manifest: { files } as never }, out);
    bytes = statSync(join(out, 'train', 'all__inputs.npy')).size + statSync(join(out, 'train', 'all__labels.npy')).size;
  }
  const cpu = process.cpuUsage(cpu0);
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, cpu_s: (cpu.user + cpu.system) / 1e6, max_rss_kb: process.resourceUsage().maxRSS, bytes };
}

if (process.argv[2] === '--child' && process.argv[1] && pathToFileURL(process.argv[1]).href === import.meta.url) {
  child(JSON.parse(process.argv[3]) as ChildParams).then(
    (r) => { process.stdout.write(`${JSON.stringify(r)}\n`); },
    (e) => { process.stderr.write(`${(e as Error).stack}\n`); process.exit(1); },
  );
}
