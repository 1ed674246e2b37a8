// The data-parallel optimizer shard (AdamATan2 and the weight EMA) over plain float32 arrays, single-threaded, in
// place (see optim.cc). Same formulas and float32 rounding points as src/parallel/shard-optimizer.ts.
#pragma once

namespace trm {

// Scalars of one AdamATan2 update, each already rounded to float32 by the caller:
// decay = 1 - lr*wd, keep1 = 1 - b1, keep2 = 1 - b2, stepSize = lr / (1 - b1^t), sqrtBias2 = sqrt(1 - b2^t).
struct AdamScalars {
  float decay, keep1, keep2, stepSize, sqrtBias2;
};

// m += (g - m) keep1;  v += (g^2 - v) keep2;  p = p decay - atan2(m, sqrt(v) / sqrtBias2) stepSize  (n elements)
void adamAtan2Update(float* p, const float* g, float* m, float* v, long n, AdamScalars s);

// shadow = p keep + shadow rate  (n elements)
void emaUpdate(float* shadow, const float* p, long n, float keep, float rate);

// out = atan2(y, x) as the update computes it (n elements; for the accuracy tests).
void atan2Map(const float* y, const float* x, float* out, long n);

}  // namespace trm
