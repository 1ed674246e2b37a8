/** Any seeded uniform source in [0, 1) (e.g. `createRng` of @trm/augment). */
export interface UniformSource {
  next(): number;
}

/** A standard normal draw from the seeded RNG (Box-Muller). */
function normal(rng: UniformSource): number {
  let u = 0;
  while (u === 0) u = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/**
 * JAX-style truncated normal: a normal truncated to [-2, 2] standard deviations, rescaled so the actual std of
 * the distribution equals `std`. std 0 gives zeros.
 */
export function truncatedNormalHost(size: number, std: number, rng: UniformSource, lower = -2, upper = 2): Float32Array {
  const out = new Float32Array(size);
  if (std === 0) return out;
  // std of a standard normal truncated to [lower, upper]
  const c = 1 / Math.sqrt(2 * Math.PI);
  const pdfL = c * Math.exp(-0.5 * lower * lower);
  const pdfU = c * Math.exp(-0.5 * upper * upper);
  const z = 0.5 * (erf(upper / Math.SQRT2) - erf(lower / Math.SQRT2));
  const truncStd = Math.sqrt(1 + (lower * pdfL - upper * pdfU) / z - ((pdfL - pdfU) / z) ** 2);
  const scale = std / truncStd;
  for (let i = 0; i < size; i++) {
    let x = normal(rng);
    while (x < lower || x > upper) x = normal(rng);
    out[i] = x * scale;
  }
  return out;
}

/** erf by Abramowitz-Stegun 7.1.26 (|error| < 1.5e-7), enough for the truncation constant. */
function erf(x: number): number {
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}
