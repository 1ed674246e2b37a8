// Error bookkeeping of the bfloat16 parity test, in bfloat16 ulps: bfloat16 keeps 8 significant bits, so one ulp of
// a value v is 2^(floor(log2 |v|) - 7). Values near zero are measured against the ulp of the tensor's RMS / 16 (a
// value 16x below its tensor's typical size carries no more absolute precision than that in any bfloat16 sum), so
// that a near-cancellation is not counted as thousands of ulps. Predictions and halting are compared exactly and
// every flip is kept with the reference's own margin (top logit minus ours, or |q_halt|), in the same ulps.
import { ErrorLog } from './compare.ts';

/** One bfloat16 ulp of a magnitude. */
export function bf16Ulp(v: number): number {
  return 2 ** (Math.floor(Math.log2(Math.max(Math.abs(v), 2 ** -126))) - 7);
}

export interface UlpStats {
  max: number;
  p99: number;
  p50: number;
  count: number;
}

export interface Flip {
  where: string;
  index: number;
  /** the reference's margin of its own decision, in bfloat16 ulps of the values compared */
  marginUlps: number;
}

export class Bf16UlpLog extends ErrorLog {
  private readonly errors = new Map<string, number[]>();
  private readonly lastExpected = new Map<string, ArrayLike<number>>();
  readonly flips: Flip[] = [];
  /** exact mismatches that are not prediction or halting decisions (data, carry bookkeeping) */
  readonly mismatches: string[] = [];

  override check(kind: string, where: string, actual: ArrayLike<number>, expected: ArrayLike<number>): void {
    if (actual.length !== expected.length) {
      this.failures.push(`${where}: length ${actual.length} != expected ${expected.length}`);
      return;
    }
    let ss = 0;
    for (let i = 0; i < expected.length; i++) ss += expected[i] * expected[i];
    const floor = Math.sqrt(ss / Math.max(1, expected.length)) / 16;
    const list = this.errors.get(kind) ?? [];
    for (let i = 0; i < actual.length; i++) {
      const d = Math.abs(actual[i] - expected[i]) / bf16Ulp(Math.max(Math.abs(expected[i]), floor));
      list.push(Number.isNaN(d) ? Infinity : d);
    }
    this.errors.set(kind, list);
    this.lastExpected.set(where, expected); // for the margins of the flips compared next
  }

  override exact(kind: string, where: string, actual: ArrayLike<number>, expected: ArrayLike<number>): void {
    const n = Math.max(actual.length, expected.length);
    for (let i = 0; i < n; i++) {
      if (actual[i] === expected[i]) continue;
      if (where.endsWith(' preds')) this.flips.push({ where, index: i, marginUlps: this.predMargin(where, n, i, actual[i], expected[i]) });
      else if (where.endsWith(' halted')) this.flips.push({ where, index: i, marginUlps: this.haltMargin(where, i) });
      else this.mismatches.push(`${where}[${i}]: got ${actual[i]}, expected ${expected[i]}`);
    }
  }

  /** The reference's logit of its prediction minus its logit of ours at position i (of n), in ulps of the larger. */
  private predMargin(where: string, n: number, i: number, ours: number, theirs: number): number {
    const logits = this.lastExpected.get(where.replace(/ preds$/, ' logits'));
    if (!logits) return Infinity;
    const vocab = logits.length / n;
    const a = logits[i * vocab + theirs], b = logits[i * vocab + ours];
    return Math.abs(a - b) / bf16Ulp(Math.max(Math.abs(a), Math.abs(b)));
  }

  /** The reference's |q_halt| of row i (its distance to the threshold 0), in ulps as check() measures q. */
  private haltMargin(where: string, i: number): number {
    const q = this.lastExpected.get(where.replace(/ halted$/, ' q_halt'));
    if (!q) return Infinity;
    let ss = 0;
    for (let j = 0; j < q.length; j++) ss += q[j] * q[j];
    return Math.abs(q[i]) / bf16Ulp(Math.max(Math.abs(q[i]), Math.sqrt(ss / q.length) / 16));
  }

  stats(kind: string): UlpStats | null {
    const list = this.errors.get(kind);
    if (!list || list.length === 0) return null;
    const s = Float64Array.from(list).sort();
    return { max: s[s.length - 1], p99: s[Math.floor(s.length * 0.99)], p50: s[Math.floor(s.length / 2)], count: s.length };
  }

  kinds(): string[] {
    return [...this.errors.keys()];
  }
}
