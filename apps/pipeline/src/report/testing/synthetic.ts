// A deterministic synthetic ReportInput (fake 4x4 dataset) for report tests.
import type { ExampleView, ReportInput, TrainMetricRow } from '../types.ts';
import { fakeDataset } from './fake-dataset.ts';

const S = 16;
const STEPS = 6;

function target(k: number): Uint8Array {
  return Uint8Array.from({ length: S }, (_, i) => 1 + ((i + k) % 4));
}

/** Prediction after `step` of `of` steps: the first cells are right, the rest off by one. */
function partial(t: Uint8Array, step: number, of: number): Uint8Array {
  const right = Math.round((S * step) / of);
  return Uint8Array.from(t, (v, i) => (i < right ? v : 1 + (v % 4)));
}

export function syntheticInput(opts: { trainSteps?: number; examples?: number } = {}): ReportInput {
  const trainSteps = opts.trainSteps ?? 50;
  const trainMetrics: TrainMetricRow[] = Array.from({ length: trainSteps }, (_, i) => {
    const f = i / Math.max(1, trainSteps - 1);
    return {
      step: i + 1, epoch: Math.floor(i / 10), lr: 1e-4 * Math.min(1, (i + 1) / 10), lm_loss: 2 * (1 - f) + 0.1, q_halt_loss: 0.5 * (1 - f) + 0.05,
      loss: 2.35 - 2.25 * f, accuracy: 0.3 + 0.6 * f, exact_accuracy: 0.8 * f * f, q_halt_accuracy: 0.5 + 0.4 * f,
      steps: 1 + 5 * f, count: i % 7 === 3 ? 0 : 8,
    };
  });
  const examples: ExampleView[] = Array.from({ length: opts.examples ?? 3 }, (_, k) => {
    const t = target(k);
    const trajectory = k < 2 ? Array.from({ length: STEPS }, (_, s) => partial(t, s + 1 - k, STEPS)) : [];
    const preds = trajectory.length ? trajectory[STEPS - 1] : partial(t, 4, STEPS);
    return {
      index: k, group: k, puzzleIdentifier: 0, inputs: Uint8Array.from(t, (v, i) => (i % 3 === 0 ? v : 0)), labels: t, preds,
      qHalt: k === 0 ? 2.5 : -1.25, steps: STEPS, correct: preds.every((v, i) => v === t[i]), trajectory,
    };
  });
  return {
    configName: 'fake-tiny',
    config: {
      description: 'synthetic run for report tests', dataset: 'fake', seed: 0,
      arch: { hidden_size: 64, H_cycles: 2, L_cycles: 2, L_layers: 2, mlp_t: false, halt_max_steps: STEPS },
      train: { global_batch_size: 8, epochs: 5, lr: 1e-4 }, encode: {}, evaluate: { trajectory_examples: 2 }, report: { examples: 3 },
      runtime: { backend: 'cpu', workers: 2 },
    },
    overrides: ['train.lr=1e-4', "report.title=it's synthetic"],
    dataset: fakeDataset,
    git: { commit: '0123456789abcdef0123456789abcdef01234567', recorded: true, dirty: false },
    backend: { name: 'cpu', version: '4.22.0' },
    params: { model: 123456, puzzleEmb: 0 },
    data: { trainExamples: 80, testExamples: 3, trainGroups: 8, seqLen: 16 },
    stages: ['fetch', 'augment', 'encode', 'train', 'evaluate'].map((stage, i) => ({
      stage, manifestHash: `${i}`.repeat(64), configHash: 'c'.repeat(64), code: 'd'.repeat(64),
      backend: stage === 'train' ? 'cpu' : null, files: { [`${stage}.arrow`]: { sha256: 'e'.repeat(64), rows: 10 * (i + 1) } },
      wallSeconds: 1.5 * (i + 1),
    })),
    training: { seconds: trainSteps ? 6 : null, steps: trainSteps || null, workers: 2 },
    trainMetrics,
    evalMetrics: {
      count: 3, exact_accuracy: 1 / 3, token_accuracy: 0.8, q_halt_accuracy: 2 / 3, mean_steps: STEPS,
      accuracy_per_step: Array.from({ length: STEPS }, (_, s) => 0.3 + 0.1 * s),
      exact_accuracy_per_step: Array.from({ length: STEPS }, (_, s) => (s >= 4 ? 1 / 3 : 0)),
      task: { path_valid: 0.5, num_valid_paths: 2 },
    },
    testRows: { steps: Int32Array.of(STEPS, STEPS, STEPS), qHalt: Float32Array.of(2.5, -1.25, -1.25), correct: Uint8Array.of(1, 0, 0) },
    examples,
    comparison: null,
  };
}
