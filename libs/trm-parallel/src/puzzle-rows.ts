// Puzzle embeddings without a full table per worker. A worker's replica has a small local table; for each call
// the main thread sends the rows of the puzzle ids its examples use and remaps those ids to local slots 0..U-1.
// The model only ever gathers (and differentiates) the rows of the ids in its carry, so this is exact.

export interface LocalIds {
  /** the distinct global ids, ascending; local slot i holds global id unique[i] */
  unique: Int32Array;
  /** local slot of every row's effective id */
  local: Int32Array;
}

/**
 * The id each row works on in this call: the batch's id where the carry row halted (it takes a new example),
 * the carried id otherwise.
 */
export function effectiveIds(halted: Uint8Array, carried: Int32Array, incoming: Int32Array): Int32Array {
  return Int32Array.from(halted, (h, b) => (h ? incoming[b] : carried[b]));
}

export function localIds(ids: Int32Array): LocalIds {
  const unique = Int32Array.from(new Set(ids)).sort();
  const slot = new Map<number, number>();
  unique.forEach((id, i) => slot.set(id, i));
  return { unique, local: Int32Array.from(ids, (id) => slot.get(id)!) };
}
