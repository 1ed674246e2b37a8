// Which task metrics are rates (shares in [0, 1], shown as percentages, changes in percentage points); the rest
// (counts, means, losses) are plain numbers.

export function isRateMetric(name: string): boolean {
  return /acc|rate|pass|valid|optimal|fraction|share/i.test(name) && !/steps|count|excess|loss|examples|tasks|inputs/i.test(name);
}
