// Turns a run's artifacts (encode, train, evaluate and the manifests of every stage), as the catalog hands them to the
// report stage, into a ReportInput. The only reading part of the report; buildReport itself stays pure.
import { execFileSync } from 'node:child_process';
import { ArtifactError } from '../artifacts/manifest.ts';
import type { StageRecord as UpstreamStage, TableInput } from '../catalog/index.ts';
import type { SafetensorsHeader } from '../catalog/formats.ts';
import type { EvalMetrics, ExampleView, ReportInput, StageRecord, TrainMetricRow } from './types.ts';

/** Manifest summary and wall time of every upstream stage. */
export function stageRecords(upstream: UpstreamStage[]): StageRecord[] {
  return upstream.map(({ stage, manifest, hash, run }) => {
    const files = Object.fromEntries(Object.entries(manifest.files).map(([k, v]) => [k, { sha256: v.sha256, rows: v.rows }]));
    return {
      stage, manifestHash: hash, configHash: manifest.configHash, code: manifest.code,
      backend: manifest.backend ? manifest.backend.name : null, files, wallSeconds: typeof run?.seconds === 'number' ? run.seconds : null,
    };
  });
}

function num(v: unknown, where: string): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new ArtifactError(`${where}: expected a number, got ${JSON.stringify(v)}`);
  return v;
}

function numArray(v: unknown, where: string): number[] {
  if (!Array.isArray(v)) throw new ArtifactError(`${where}: expected an array of numbers, got ${JSON.stringify(v)}`);
  return v.map((x, i) => num(x, `${where}[${i}]`));
}

const HEADLINE = ['exact_accuracy', 'token_accuracy', 'q_halt_accuracy', 'mean_steps'] as const;
/** numbers of metrics.json that are not task metrics */
const NOT_TASK = [...HEADLINE, 'count', 'numExamples', 'num_examples'];

/** evaluate/metrics.json: the headline metrics, per-step arrays and the dataset's task metrics (flat or under `task`). */
export function parseEvalMetrics(raw: unknown, file: string): EvalMetrics {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new ArtifactError(`${file}: expected a JSON object of metrics`);
  const m = raw as Record<string, unknown>;
  const task: Record<string, number> = {};
  const nested = m.task && typeof m.task === 'object' ? (m.task as Record<string, unknown>) : {};
  for (const [k, v] of [...Object.entries(m), ...Object.entries(nested)]) {
    if (typeof v === 'number' && !NOT_TASK.includes(k)) task[k] = v;
  }
  const count = num(m.count, `${file}: count`);
  // an empty test split (count 0) has no metrics: null in the file, NaN here ("n/a" in the report)
  const metric = (k: string) => (count === 0 && m[k] === null ? Number.NaN : num(m[k], `${file}: ${k}`));
  return {
    count,
    exact_accuracy: metric('exact_accuracy'),
    token_accuracy: metric('token_accuracy'),
    q_halt_accuracy: metric('q_halt_accuracy'),
    mean_steps: metric('mean_steps'),
    accuracy_per_step: numArray(m.accuracy_per_step ?? [], `${file}: accuracy_per_step`),
    exact_accuracy_per_step: numArray(m.exact_accuracy_per_step ?? [], `${file}: exact_accuracy_per_step`),
    task,
  };
}

const METRIC_COLUMNS = ['step', 'epoch', 'lr', 'lm_loss', 'q_halt_loss', 'loss', 'accuracy', 'exact_accuracy', 'q_halt_accuracy', 'steps', 'count'] as const;

export async function readTrainMetrics(metrics: TableInput): Promise<TrainMetricRow[]> {
  const file = metrics.name;
  const rows = await metrics.all();
  return rows.map((r, i) => {
    const out = {} as Record<string, number>;
    for (const c of METRIC_COLUMNS) out[c] = num(r[c], `${file} row ${i} column ${c}`);
    return out as unknown as TrainMetricRow;
  });
}

type Json = Record<string, unknown> | null;

/** The worker count the train stage recorded: `workers` of its run record, else of state.json; null when neither has one. */
export function recordedWorkers(run: Json, stateMeta: Json): number | null {
  for (const r of [run, stateMeta]) {
    const w = r?.workers;
    if (typeof w === 'number' && Number.isInteger(w) && w >= 0) return w;
  }
  return null;
}

/**
 * Seconds spent training and the steps run in them, from the train stage's run record (`secondsTraining`, `steps`,
 * `resumedFrom`), and the worker threads the train stage recorded.
 */
export function trainingTime(run: Json, stateMeta: Json, metricsRows: number): ReportInput['training'] {
  const workers = recordedWorkers(run, stateMeta);
  if (!run) return { seconds: null, steps: null, workers };
  const seconds = typeof run.secondsTraining === 'number' ? run.secondsTraining : typeof run.seconds === 'number' ? run.seconds : null;
  const steps = typeof run.steps === 'number' ? run.steps : metricsRows;
  const resumed = typeof run.resumedFrom === 'number' ? run.resumedFrom : 0;
  return { seconds, steps: seconds === null ? null : steps - resumed, workers };
}

/** Parameter counts from a safetensors header: puzzle embeddings apart, fixed H_init/L_init left out. */
export function countParams(header: SafetensorsHeader): { model: number; puzzleEmb: number } {
  let model = 0;
  let puzzleEmb = 0;
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__' || !Array.isArray(t.shape)) continue;
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (name.includes('puzzle_emb')) puzzleEmb += size;
    else if (!/(^|\.)[HL]_init$/.test(name)) model += size;
  }
  return { model, puzzleEmb };
}

function git(root: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** The commit the train stage recorded in its run record (`git`/`commit`), else the repository's HEAD now. */
export function gitInfo(run: Json, root: string): { commit: string; recorded: boolean; dirty: boolean | null } | null {
  for (const k of ['git', 'commit', 'gitCommit']) {
    if (run && typeof run[k] === 'string' && run[k]) return { commit: run[k] as string, recorded: true, dirty: typeof run.gitDirty === 'boolean' ? run.gitDirty : null };
  }
  const head = git(root, ['rev-parse', 'HEAD']);
  if (!head) return null;
  const status = git(root, ['status', '--porcelain', '--untracked-files=no']);
  return { commit: head, recorded: false, dirty: status === null ? null : status.length > 0 };
}

export interface EvaluatedExamples {
  testRows: { steps: Int32Array; qHalt: Float32Array; correct: Uint8Array };
  examples: ExampleView[];
}

/**
 * Streams predictions.arrow: every halting step, and `count` examples to draw. First those with per-step predictions
 * (the evaluate stage keeps them for the first wrong examples and the first ones the recursion fixed), taken wrong
 * and right alternately so that both show, then the first wrong ones, then the first right ones (row order): a
 * report shows failures and fixes before easy successes.
 */
export async function readExamples(evaluate: { predictions: TableInput; trajectories: TableInput | null }, count: number): Promise<EvaluatedExamples> {
  const trajectories = new Map<number, { step: number; preds: Uint8Array }[]>();
  if (evaluate.trajectories) {
    for (const r of await evaluate.trajectories.all()) {
      const list = trajectories.get(r.index as number) ?? [];
      list.push({ step: r.step as number, preds: r.preds as Uint8Array });
      trajectories.set(r.index as number, list);
    }
  }
  const file = evaluate.predictions.name;
  const trajWrong: ExampleView[] = [];
  const trajRight: ExampleView[] = [];
  const wrong: ExampleView[] = [];
  const right: ExampleView[] = [];
  const steps: number[] = [];
  const qHalt: number[] = [];
  const correct: number[] = [];
  let row = 0;
  {
    for await (const r of evaluate.predictions.rows()) {
      steps.push(num(r.steps, `${file} row ${row} column steps`));
      qHalt.push(num(r.q_halt, `${file} row ${row} column q_halt`));
      correct.push(r.correct ? 1 : 0);
      const index = num(r.index, `${file} row ${row} column index`);
      const traj = trajectories.get(index);
      const bucket = traj ? (r.correct ? trajRight : trajWrong) : r.correct ? right : wrong;
      if (bucket.length < count) {
        for (const c of ['inputs', 'labels', 'preds']) {
          if (!(r[c] instanceof Uint8Array)) throw new ArtifactError(`${file} row ${row} column ${c}: expected a list of uint8 tokens`);
        }
        bucket.push({
          index, group: r.group_index as number, puzzleIdentifier: r.puzzle_identifier as number,
          inputs: r.inputs as Uint8Array, labels: r.labels as Uint8Array, preds: r.preds as Uint8Array,
          qHalt: r.q_halt as number, steps: steps[row], correct: !!r.correct,
          trajectory: (traj ?? []).sort((a, b) => a.step - b.step).map((t) => t.preds),
        });
      }
      row++;
    }
  }
  const withTraj: ExampleView[] = [];
  for (let i = 0; i < Math.max(trajWrong.length, trajRight.length); i++) withTraj.push(...[trajWrong[i], trajRight[i]].filter((x) => x !== undefined));
  const examples = [...withTraj.slice(0, count).sort((a, b) => a.index - b.index), ...wrong, ...right].slice(0, count);
  return { testRows: { steps: Int32Array.from(steps), qHalt: Float32Array.from(qHalt), correct: Uint8Array.from(correct) }, examples };
}

/** Sizes from the encode stage: examples per split (manifest rows) and groups of the train split (`trm.dataset`). */
export async function dataSizes(train: TableInput, test: TableInput): Promise<ReportInput['data']> {
  const raw = (await train.metadata())['trm.dataset'];
  const meta = raw ? (JSON.parse(raw) as { total_groups?: unknown; seq_len?: unknown }) : {};
  const n = (v: unknown) => (typeof v === 'number' ? v : null);
  return { trainExamples: train.rowCount, testExamples: test.rowCount, trainGroups: n(meta.total_groups), seqLen: n(meta.seq_len) };
}
