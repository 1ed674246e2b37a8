// report: reads the encode, train and evaluate artifacts of a config and writes report.md + img/*.svg
// (relative links only, so the folder can be copied or published) and history.json (the runs reported so far,
// for comparing with the previous one).
import * as path from 'node:path';
import { loadConfig, type ResolvedConfig } from '../config/load.ts';
import { ArtifactError } from '../artifacts/manifest.ts';
import { files, json, runCatalogStage, text, type Inputs, type StageFunction } from '../catalog/index.ts';
import { buildReport } from '../report/build.ts';
import { paramsDiff, scalarMetrics } from '../report/diff.ts';
import { countParams, dataSizes, gitInfo, parseEvalMetrics, readExamples, readTrainMetrics, stageRecords, trainingTime } from '../report/load.ts';
import type { ComparisonRun, ReportInput } from '../report/types.ts';
import { configsDir } from '../workspace.ts';
import type { StageContext, StageResult } from './context.ts';
import { intervalRowsFromTable } from './interval-evals.ts';

/** One reported run, kept in report/history.json (oldest first). */
export interface HistoryEntry {
  label: string;
  /** sha256 of the evaluate manifest the report read */
  evaluate: string;
  config: Record<string, unknown>;
  metrics: Record<string, number>;
}

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

/** The runs reported so far (the previous report's history.json), oldest first. */
export function readHistory(inputs: Inputs): HistoryEntry[] {
  const h = inputs.previous<unknown>('report.history');
  return Array.isArray(h) ? (h as HistoryEntry[]) : [];
}

async function compareWith(inputs: Inputs, ctx: StageContext, other: string): Promise<ComparisonRun> {
  // a name is looked up beside this run's config file (configs/ normally)
  const { config } = await loadConfig(other, { dir: path.dirname(ctx.config.file), root: ctx.root });
  let metrics;
  try {
    metrics = inputs.ofConfig(config.name, 'evaluate.metrics');
  } catch (e) {
    throw new ArtifactError(`--compare ${other}: ${(e as Error).message}`);
  }
  return { label: config.name, config: shownConfig(config), metrics: scalarMetrics(parseEvalMetrics(metrics.value, metrics.name)) };
}

export const writeReport: StageFunction = async (inputs, ctx) => {
  const name = ctx.config.name;
  const evaluate = inputs.stage('evaluate');
  const predictions = inputs.table('evaluate.predictions');
  const trajectories = inputs.table('evaluate.trajectories');
  const evalMetrics = parseEvalMetrics(inputs.json('evaluate.metrics'), inputs.name('evaluate.metrics'));
  const { testRows, examples } = await readExamples({ predictions, trajectories }, Number(ctx.config.report.examples ?? 6));
  const config = shownConfig(ctx.config);
  const train = inputs.stage('train');
  const gitRun = gitInfo(train.run, ctx.root);
  const gitSha = gitRun?.commit ?? null;
  const trainMetrics = await readTrainMetrics(inputs.table('train.metrics'));
  // the evaluations during training (train.eval_interval) and how the run ended (early stop, the best model)
  const intervalEvals = inputs.has('train.evals') ? intervalRowsFromTable(await inputs.table('train.evals').all(), inputs.name('train.evals')) : [];
  const ended = (train.run ?? {}) as { stoppedEarly?: string; model?: { kind: 'last' | 'best'; step: number } };
  const stateMeta = inputs.optionalJson<{ totalSteps?: number }>('train.state_meta');
  const maxSteps = Number(ctx.config.train.max_steps ?? 0);
  const planned = stateMeta?.totalSteps ? (maxSteps > 0 ? Math.min(maxSteps, stateMeta.totalSteps) : stateMeta.totalSteps) : trainMetrics.length;

  const evaluateHash = evaluate.hash;
  const history = readHistory(inputs).filter((h) => h.evaluate !== evaluateHash);
  const previous = history[history.length - 1];
  const comparison: ComparisonRun | null = ctx.compare
    ? await compareWith(inputs, ctx, ctx.compare)
    : previous ? { label: previous.label, config: previous.config, metrics: previous.metrics } : null;

  const backend = train.manifest.backend;
  const input: ReportInput = {
    configName: name,
    config,
    overrides: await overridesOf(ctx),
    dataset: ctx.dataset.lib,
    git: gitRun,
    backend: backend ? { name: backend.name, version: backend.version ?? null, gemm: backend.gemm ?? null } : null,
    params: countParams(inputs.safetensors('train.model').header()),
    data: await dataSizes(inputs.table('encode.train'), inputs.table('encode.test')),
    stages: stageRecords((['fetch', 'augment', 'encode', 'train', 'evaluate'] as const).map((s) => inputs.stage(s))),
    training: trainingTime(train.run, inputs.optionalJson('train.state_meta'), trainMetrics.length),
    imported: train.manifest.lineage ? { file: train.manifest.lineage.imported, sha256: train.manifest.lineage.sha256, format: train.manifest.lineage.format, dtypes: train.manifest.lineage.dtypes } : null,
    trainMetrics,
    evalMetrics,
    testRows,
    examples,
    comparison,
    intervalEvals,
    watchMetric: String(ctx.config.train.early_stop_metric ?? 'exact_accuracy'),
    ...(ended.stoppedEarly ? { runState: { state: 'stopped' as const, step: trainMetrics.length, total: planned, reason: ended.stoppedEarly, model: ended.model ?? null, evaluated: 'evaluate stage' as const } } : {}),
  };
  const out = await buildReport(input);
  const entry: HistoryEntry = {
    label: `${name} @ ${gitSha ? gitSha.slice(0, 7) : 'no commit'}, evaluate ${evaluateHash.slice(0, 8)}`,
    evaluate: evaluateHash, config, metrics: scalarMetrics(evalMetrics),
  };
  return {
    outputs: {
      'report.markdown': text(out.markdown),
      'report.images': files(out.files),
      'report.history': json([...history, entry].slice(-HISTORY_MAX)),
    },
    run: { images: Object.keys(out.files).length, examples: examples.length, compared: comparison?.label ?? null },
  };
};

export function runReport(ctx: StageContext): Promise<StageResult> {
  // a comparison is not part of the manifest key: always rebuild when one is asked for
  return runCatalogStage(ctx.compare ? { ...ctx, force: true } : ctx, 'report', writeReport);
}
