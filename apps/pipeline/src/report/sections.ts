// The report's numbered sections (GitHub derives their anchors from the headings) and a config-reading helper.
export const SECTIONS = [
  '1. Run summary', '2. Results', '3. Training curves', '4. The value of recursion', '5. Halting',
  '6. Examples', '7. Refinement trajectories', '8. Comparison', '9. Reproduce',
] as const;
export type Section = (typeof SECTIONS)[number];

export function section(name: Section): string {
  return `## ${name}\n`;
}

/** A config section as an object ({} when absent). */
export function obj(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}
