// The stages as the runner sees them: each declaration of declarations.mjs with its run function, whose module
// (tfjs for train/evaluate, vega for report) loads only when the stage runs.
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { StageName } from '../artifacts/manifest.ts';
import { STAGES, stageDeclaration, stagesUpTo, type StageDeclaration } from './declarations.mjs';
import type { StageContext, StageResult } from './context.ts';

export interface Stage extends StageDeclaration {
  run(ctx: StageContext): Promise<StageResult>;
}

/** The repository holding this code (declarations name modules relative to it). */
const codeRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');

function withRun(decl: StageDeclaration): Stage {
  return {
    ...decl,
    async run(ctx) {
      const mod = (await import(/* @vite-ignore */ pathToFileURL(path.join(codeRoot, decl.module)).href)) as Record<string, unknown>;
      const run = mod[decl.entry];
      if (typeof run !== 'function') throw new Error(`${decl.module} does not export ${decl.entry}(ctx), as declarations.mjs says`);
      return (run as (ctx: StageContext) => Promise<StageResult>)(ctx);
    },
  };
}

export const STAGE_LIST: readonly Stage[] = STAGES.map(withRun);

export function stageInfo(name: string): Stage {
  return STAGE_LIST[STAGES.indexOf(stageDeclaration(name))];
}

/** The stage and all stages before it, in order. */
export function chain(name: StageName): Stage[] {
  return stagesUpTo(name).map((d) => stageInfo(d.name));
}
