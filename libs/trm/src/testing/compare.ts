// Test support: how far apart two float arrays are, relative to the largest magnitude in the first.

/** max |a - b| / max |a| over arrays of equal length (throws on a length mismatch). */
export function maxRelDiff(a: Float32Array, b: Float32Array): number {
  if (b.length !== a.length) throw new Error(`maxRelDiff: lengths differ (${a.length} vs ${b.length})`);
  let scale = 1e-30;
  let diff = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]));
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
  }
  return diff / scale;
}
