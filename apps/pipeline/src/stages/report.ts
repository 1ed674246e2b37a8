// report: reads the encode, train and evaluate artifacts of a config and writes report.md + img/*.svg
// (relative links only, so the folder can be copied or published) and history.json (the runs reported so far,
// for comparing with the previous one).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig, type ResolvedConfig } from '../config/load.ts';
import { ArtifactError, stageDir } from '../artifacts/manifest.ts';
import { openStage } from '../artifacts/open-stage.ts';
import { buildReport } from '../report/build.ts';
import { paramsDiff, scalarMetrics } from '../report/diff.ts';
import { countParams, dataSizes, evalMetricsOf, gitInfo, openRun, readExamples, readTrainMetrics, trainingTime } from '../report/load.ts';
import type { ComparisonRun, ReportInput } from '../report/types.ts';
import { configsDir } from '../workspace.ts';
import { runStage, type StageContext, type StageResult } from './context.ts';

/** One reported run, kept in report/history.json (oldest first). */
export interface HistoryEntry {
  label: string;
  /** sha256 of the evaluate manifest the report read */
  evaluate: string;
  config: Record<string, unknown>;
  metrics: Record<string, number>;
}

const HISTORY = 'history.json';
const HISTORY_MAX = 20;

/** The resolved config as the report shows it (without the machine-specific file path). */
export function shownConfig(c: ResolvedConfig): Record<string, unknown> {
  const { file: _file, ...rest } = c;
  return rest;
}

/** `--set` overrides that turn the config file into the resolved config, as `key=value`. */
export async function overridesOf(ctx: StageContext): Promise<string[]> {
  const { config: plain } = await loadConfig(ctx.config.file, { dir: configsDir(ctx.root), root: ctx.root });
  return paramsDiff(shownConfig(plain), shownConfig(ctx.config))
    .filter((d) => d.new !== undefined)
    .map((d) => `${d.key}=${typeof d.new === 'string' ? d.new : JSON.stringify(d.new)}`);
}

export function readHistory(reportDir: string): HistoryEntry[] {
  const f = path.join(reportDir, HISTORY);
  if (!fs.existsSync(f)) return [];
  try {
    const h = JSON.parse(fs.readFileSync(f, 'utf8')) as unknown;
    return Array.isArray(h) ? (h as HistoryEntry[]) : [];
  } catch {
    return [];
  }
}

async function compareWith(ctx: StageContext, other: string): Promise<ComparisonRun> {
  // a name is looked up beside this run's config file (configs/ normally)
  const { config } = await loadConfig(other, { dir: path.dirname(ctx.config.file), root: ctx.root });
  let evaluate;
  try {
    evaluate = await openStage(ctx.artifacts, config.name, 'evaluate', { verify: false });
  } catch (e) {
    throw new ArtifactError(`--compare ${other}: ${(e as Error).message}`);
  }
  return { label: config.name, config: shownConfig(config), metrics: scalarMetrics(evalMetricsOf(evaluate)) };
}

export function runReport(ctx: StageContext): Promise<StageResult> {
  // a comparison is not part of the manifest key: always rebuild when one is asked for
  return runStage(ctx.compare ? { ...ctx, force: true } : ctx, 'report', async (tmp) => {
    const name = ctx.config.name;
    const run = await openRun(ctx.artifacts, name);
    const evalMetrics = evalMetricsOf(run.evaluate);
    const { testRows, examples } = await readExamples(run.evaluate, Number(ctx.config.report.examples ?? 6));
    const config = shownConfig(ctx.config);
    const gitRun = gitInfo(run.train.dir, ctx.root);
    const gitSha = gitRun?.commit ?? null;
    const trainMetrics = await readTrainMetrics(run.train);

    const evaluateHash = run.evaluate.hash;
    const history = readHistory(stageDir(ctx.artifacts, name, 'report')).filter((h) => h.evaluate !== evaluateHash);
    const previous = history[history.length - 1];
    const comparison: ComparisonRun | null = ctx.compare
      ? await compareWith(ctx, ctx.compare)
      : previous ? { label: previous.label, config: previous.config, metrics: previous.metrics } : null;

    const backend = run.train.manifest.backend;
    const input: ReportInput = {
      configName: name,
      config,
      overrides: await overridesOf(ctx),
      dataset: ctx.dataset.lib,
      git: gitRun,
      backend: backend ? { name: backend.name, version: backend.version ?? null, gemm: backend.gemm ?? null } : null,
      params: run.train.manifest.files['model.safetensors'] ? countParams(run.train.file('model.safetensors')) : null,
      data: await dataSizes(run.encode),
      stages: run.stages,
      training: trainingTime(run.train.dir, trainMetrics.length),
      imported: run.train.manifest.lineage ? { file: run.train.manifest.lineage.imported, sha256: run.train.manifest.lineage.sha256, format: run.train.manifest.lineage.format, dtypes: run.train.manifest.lineage.dtypes } : null,
      trainMetrics,
      evalMetrics,
      testRows,
      examples,
      comparison,
    };
    const out = await buildReport(input);
    fs.writeFileSync(path.join(tmp, 'report.md'), out.markdown);
    for (const [rel, text] of Object.entries(out.files)) {
      fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
      fs.writeFileSync(path.join(tmp, rel), text);
    }
    const entry: HistoryEntry = {
      label: `${name} @ ${gitSha ? gitSha.slice(0, 7) : 'no commit'}, evaluate ${evaluateHash.slice(0, 8)}`,
      evaluate: evaluateHash, config, metrics: scalarMetrics(evalMetrics),
    };
    fs.writeFileSync(path.join(tmp, HISTORY), JSON.stringify([...history, entry].slice(-HISTORY_MAX), null, 1) + '\n');
    return { images: Object.keys(out.files).length, examples: examples.length, compared: comparison?.label ?? null };
  });
}
