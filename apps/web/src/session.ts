// What `trm web` serves beside the app: the config's dataset facts, test puzzles and the model file.
import type { AuxArtifacts } from '@trm/dataset';

/** `session.json`, written by `trm web` (apps/pipeline/src/cli/web.ts) for one config. */
export interface Session {
  config: string;
  /** sudoku | maze | arc */
  dataset: string;
  /** the config's encode section (what the dataset lib needs to parse and lay out a puzzle) */
  encode: Record<string, unknown>;
  /** the config's evaluate section (ARC's vote) */
  evaluate: Record<string, unknown>;
  /** encode's identifiers.json (index = puzzle identifier), `["<blank>"]` when encode has not run */
  identifiers: string[];
  /** true when the identifiers come from the encode stage (then the model must have as many) */
  identifiersKnown: boolean;
  /** encode's aux.json (ARC), or null */
  aux: AuxArtifacts | null;
  /** test puzzles of the config as text the dataset lib parses */
  testPuzzles: { id: string; text: string }[];
  /** the model file to load (relative URL), null when the config has no trained model */
  model: string | null;
  /** how the model file is named where it came from (shown on the page) */
  modelName: string | null;
  /** what to run to make the model when there is none */
  trainCommand: string;
}

export async function fetchSession(): Promise<Session> {
  const res = await fetch('session.json');
  if (!res.ok) throw new Error(`session.json: HTTP ${res.status}`);
  return (await res.json()) as Session;
}
