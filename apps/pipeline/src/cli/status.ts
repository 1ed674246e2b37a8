// `trm status --config NAME`: for every stage, whether its output is up to date, stale (and why) or missing.
import * as path from 'node:path';
import { canonicalJson } from '../artifacts/hash.ts';
import { readManifest, stageDir, verifyFiles, type Manifest } from '../artifacts/manifest.ts';
import { stageKey, type StageContext } from '../stages/context.ts';
import { STAGE_INFO } from '../stages/index.ts';

export interface StageStatus {
  stage: string;
  state: 'up to date' | 'stale' | 'missing' | 'damaged';
  /** what differs (stale), or the error (damaged) */
  why: string[];
}

export async function stageStatus(ctx: StageContext): Promise<StageStatus[]> {
  const out: StageStatus[] = [];
  for (const s of STAGE_INFO) {
    const dir = stageDir(ctx.artifacts, ctx.config.name, s.name);
    let manifest: Manifest;
    try {
      manifest = readManifest(dir, s.name, ctx.config.name).manifest;
    } catch (e) {
      const missing = (e as Error).message.includes('has not been run');
      out.push({ stage: s.name, state: missing ? 'missing' : 'damaged', why: missing ? [] : [(e as Error).message] });
      continue;
    }
    try {
      await verifyFiles(dir, manifest);
    } catch (e) {
      out.push({ stage: s.name, state: 'damaged', why: [(e as Error).message] });
      continue;
    }
    const spec = await s.spec(ctx);
    const notReady = spec.inputs.map((u) => out.find((o) => o.stage === u)!).filter((o) => o.state !== 'up to date');
    if (notReady.some((o) => o.state === 'missing')) {
      out.push({ stage: s.name, state: 'stale', why: notReady.map((o) => `upstream ${o.stage} is ${o.state}`) });
      continue;
    }
    const key = stageKey(ctx, spec);
    const why: string[] = notReady.map((o) => `upstream ${o.stage} is ${o.state}`);
    if (manifest.configHash !== key.configHash) why.push(`config sections changed (${spec.sections.join(', ')})`);
    for (const [u, h] of Object.entries(key.inputs)) if (manifest.inputs[u] !== h) why.push(`upstream ${u} changed`);
    if (manifest.code !== key.code) why.push('code changed');
    if (canonicalJson(manifest.backend) !== canonicalJson(key.backend)) why.push(`backend changed (${canonicalJson(manifest.backend)} -> ${canonicalJson(key.backend)})`);
    out.push({ stage: s.name, state: why.length ? 'stale' : 'up to date', why });
  }
  return out;
}

export function formatStatus(config: string, artifacts: string, rows: StageStatus[]): string {
  const lines = [`${config} (${path.join(artifacts, config)})`];
  for (const r of rows) lines.push(`  ${r.stage.padEnd(9)} ${r.state}${r.why.length ? `: ${r.why.join('; ')}` : ''}`);
  return lines.join('\n');
}
