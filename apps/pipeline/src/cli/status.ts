// `trm status --config NAME`: for every stage, whether its output is up to date, stale (and why) or missing.
// The same check every stage makes of its upstream folders before it runs (stages/context.ts).
import * as path from 'node:path';
import { stageStates, type StageContext, type StageState } from '../stages/context.ts';

export type StageStatus = StageState;

export function stageStatus(ctx: StageContext): Promise<StageStatus[]> {
  return stageStates(ctx);
}

export function formatStatus(config: string, artifacts: string, rows: StageStatus[]): string {
  const lines = [`${config} (${path.join(artifacts, config)})`];
  for (const r of rows) lines.push(`  ${r.stage.padEnd(9)} ${r.state}${r.why.length ? `: ${r.why.join('; ')}` : ''}${r.origin ? ` [${r.origin}]` : ''}`);
  return lines.join('\n');
}
