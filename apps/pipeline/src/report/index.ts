export { buildReport, formatMetric } from './build.ts';
export { paramsDiff, metricsDiff, scalarMetrics, flatten } from './diff.ts';
export { publishedFor, PAPER } from './published.ts';
export type { PublishedRecipe } from './published.ts';
export type { ReportInput, ReportOutput, StageRecord, TrainMetricRow, EvalMetrics, ExampleView, ComparisonRun } from './types.ts';
