// Error bookkeeping for the parity test: worst abs/rel error per tensor kind.

export interface Tolerance {
  abs: number;
  rel: number;
}

export const FLOAT32_TOL: Tolerance = { abs: 1e-5, rel: 1e-4 };

export class ErrorLog {
  readonly worst = new Map<string, { abs: number; rel: number }>();
  readonly failures: string[] = [];

  /** Compare `actual` to `expected` elementwise; a value fails when |a-e| > abs + rel*|e|. */
  check(kind: string, where: string, actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance = FLOAT32_TOL): void {
    if (actual.length !== expected.length) {
      this.failures.push(`${where}: length ${actual.length} != expected ${expected.length}`);
      return;
    }
    const w = this.worst.get(kind) ?? { abs: 0, rel: 0 };
    let bad = 0;
    let firstBad = -1;
    for (let i = 0; i < actual.length; i++) {
      const a = actual[i];
      const e = expected[i];
      const err = Math.abs(a - e);
      if (!(err <= tol.abs + tol.rel * Math.abs(e))) {
        bad++;
        if (firstBad < 0) firstBad = i;
      }
      if (!(err <= w.abs)) w.abs = Number.isNaN(err) ? Infinity : Math.max(w.abs, err);
      if (Math.abs(e) > tol.abs) w.rel = Math.max(w.rel, err / Math.abs(e));
    }
    this.worst.set(kind, w);
    if (bad > 0) this.failures.push(`${where}: ${bad}/${actual.length} values out of tolerance, first at [${firstBad}]: got ${actual[firstBad]}, expected ${expected[firstBad]}`);
  }

  /** Exact comparison (integers, booleans). */
  exact(kind: string, where: string, actual: ArrayLike<number>, expected: ArrayLike<number>): void {
    const w = this.worst.get(kind) ?? { abs: 0, rel: 0 };
    let bad = 0;
    for (let i = 0; i < Math.max(actual.length, expected.length); i++) if (actual[i] !== expected[i]) bad++;
    w.abs = Math.max(w.abs, bad);
    this.worst.set(kind, w);
    if (bad > 0) this.failures.push(`${where}: ${bad} mismatches: got [${Array.from(actual)}], expected [${Array.from(expected)}]`);
  }

  summary(): string {
    return [...this.worst].map(([k, w]) => `${k} abs=${w.abs.toExponential(2)} rel=${w.rel.toExponential(2)}`).join(' | ');
  }
}
