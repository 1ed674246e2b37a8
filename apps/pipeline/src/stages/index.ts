// The stages in order, with what each reads. `report` is provided by src/stages/report.ts.
import type { StageName } from '../artifacts/manifest.ts';
import type { StageContext, StageResult, StageSpec } from './context.ts';
import { fetchSpec, runFetch } from './fetch.ts';
import { augmentSpec, runAugment } from './augment.ts';
import { encodeSpec, runEncode } from './encode.ts';

export interface StageInfo {
  name: StageName;
  upstream: StageName[];
  reads: string;
  writes: string;
  run(ctx: StageContext): Promise<StageResult>;
  /** what the stage's manifest key is made of (for `trm status`) */
  spec(ctx: StageContext): Promise<StageSpec>;
}

// train/evaluate/report load tfjs or vega: imported only when they run
type Loader = () => Promise<Record<string, unknown>>;
async function lazy(load: Loader, file: string, fn: string, ctx: StageContext): Promise<StageResult> {
  const run = (await load())[fn];
  if (typeof run !== 'function') throw new Error(`apps/pipeline/src/stages/${file} does not export ${fn}(ctx)`);
  return (run as (ctx: StageContext) => Promise<StageResult>)(ctx);
}

export const STAGE_INFO: StageInfo[] = [
  { name: 'fetch', upstream: [], reads: 'the config\'s fetch section; the dataset source (generator, local files under the repo, or HTTPS downloads cached in artifacts/_downloads)', writes: 'artifacts/<config>/fetch/puzzles.arrow + manifest.json', run: runFetch, spec: async () => fetchSpec },
  { name: 'augment', upstream: ['fetch'], reads: 'artifacts/<config>/fetch; the augment section and seed', writes: 'artifacts/<config>/augment/{train,test}.arrow + manifest.json', run: runAugment, spec: async () => augmentSpec },
  { name: 'encode', upstream: ['augment'], reads: 'artifacts/<config>/{fetch,augment}; the encode section', writes: 'artifacts/<config>/encode/{train,test}.arrow, identifiers.json, aux.json + manifest.json', run: runEncode, spec: async () => encodeSpec },
  { name: 'train', upstream: ['encode'], reads: 'artifacts/<config>/encode; the arch, train, seed and runtime sections (runtime.workers = worker threads, default one per core, 0 = the main thread)', writes: 'artifacts/<config>/train/{model,state}.safetensors, state.json, metrics.arrow + manifest.json (checkpoints in artifacts/<config>/train.partial while running)', run: (ctx) => lazy(() => import('./train.ts'), 'train.ts', 'runTrain', ctx), spec: async (ctx) => (await import('./train.ts')).trainSpec(ctx) },
  { name: 'evaluate', upstream: ['train'], reads: 'artifacts/<config>/{encode,train}; the evaluate and runtime sections (each test batch is split across runtime.workers threads)', writes: 'artifacts/<config>/evaluate/{predictions,trajectories}.arrow, metrics.json + dataset task files + manifest.json', run: (ctx) => lazy(() => import('./evaluate.ts'), 'evaluate.ts', 'runEvaluate', ctx), spec: async (ctx) => (await import('./evaluate.ts')).evaluateSpec(ctx) },
  { name: 'report', upstream: ['evaluate'], reads: 'artifacts/<config>/{encode,train,evaluate}; the report section', writes: 'artifacts/<config>/report/report.md, img/*.svg + manifest.json', run: (ctx) => lazy(() => import('./report.ts'), 'report.ts', 'runReport', ctx), spec: async () => (await import('./report.ts')).reportSpec },
];

export function stageInfo(name: string): StageInfo {
  const s = STAGE_INFO.find((x) => x.name === name);
  if (!s) throw new Error(`unknown stage ${name}; stages: ${STAGE_INFO.map((x) => x.name).join(', ')}`);
  return s;
}

/** The stage and all stages before it, in order. */
export function chain(name: StageName): StageInfo[] {
  const i = STAGE_INFO.findIndex((x) => x.name === name);
  return STAGE_INFO.slice(0, i + 1);
}
