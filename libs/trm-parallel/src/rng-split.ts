// The ACT exploration draws of one global batch, split across workers so that every worker draws exactly what a
// single process would draw for its rows. haltDecision consumes ACT_DRAWS_PER_ROW 32-bit draws per row, in row
// order (rng.next() then rng.int(); int() may in principle reject and draw again, with probability < 2^-31), so
// worker k starts from the stream advanced by ACT_DRAWS_PER_ROW * (first row of k). After the call the caller's
// RNG is advanced by what the workers really consumed, found by walking the stream to each worker's end state.
import { createRng, type Rng } from '@trm/augment';

export const ACT_DRAWS_PER_ROW = 2;

export type RngState = [number, number, number, number];

const same = (a: readonly number[], b: readonly number[]) => a.every((x, i) => x === b[i]);

/** The start state of each worker's stream. */
export function splitRngStarts(rng: Rng, ranges: [number, number][]): RngState[] {
  const walker = createRng(0, rng.state());
  let position = 0;
  return ranges.map(([start]) => {
    for (; position < ACT_DRAWS_PER_ROW * start; position++) walker.nextU32();
    return walker.state();
  });
}

/** How many 32-bit draws lead from `start` to `end` (searching up to `limit`); throws if none does. */
export function drawsBetween(start: RngState, end: RngState, limit: number): number {
  const walker = createRng(0, start);
  for (let n = 0; n <= limit; n++) {
    if (same(walker.state(), end)) return n;
    walker.nextU32();
  }
  throw new Error(`data-parallel RNG: a worker's exploration stream moved by more than ${limit} draws`);
}

/** Advance `rng` by the total the workers consumed. Returns that total. */
export function advanceRng(rng: Rng, starts: RngState[], ends: RngState[], ranges: [number, number][]): number {
  let total = 0;
  ranges.forEach(([a, b], k) => (total += drawsBetween(starts[k], ends[k], 4 * ACT_DRAWS_PER_ROW * (b - a) + 64)));
  for (let i = 0; i < total; i++) rng.nextU32();
  return total;
}
