// Learning-rate schedule of the reference (`cosine_schedule_with_warmup_lr_lambda`): linear warm-up from 0 over
// `warmupSteps`, then a half cosine from `baseLr` down to `baseLr * minRatio` at `totalSteps`.
// The trainer increments its step counter before the first update, so the first update uses step = 1.

export interface LrSchedule {
  baseLr: number;
  warmupSteps: number;
  totalSteps: number;
  /** 1.0 = constant after warm-up */
  minRatio: number;
}

export function cosineLrWithWarmup(step: number, s: LrSchedule): number {
  if (step < s.warmupSteps) return (s.baseLr * step) / Math.max(1, s.warmupSteps);
  const progress = (step - s.warmupSteps) / Math.max(1, s.totalSteps - s.warmupSteps);
  return s.baseLr * (s.minRatio + Math.max(0, (1 - s.minRatio) * 0.5 * (1 + Math.cos(Math.PI * progress))));
}
