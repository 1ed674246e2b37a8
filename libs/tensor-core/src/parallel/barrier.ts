// A reusable barrier for threads that share memory: `parties` threads call `barrierWait` and none returns
// before all have arrived. The state is two int32 cells of a SharedArrayBuffer: [arrived, generation].

/** Int32 cells a barrier needs; allocate them with `createBarrierState`. */
export const BARRIER_CELLS = 2;

export function createBarrierState(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(BARRIER_CELLS * Int32Array.BYTES_PER_ELEMENT));
}

/**
 * Block until `parties` threads have called this with the same state. Uses Atomics.wait, so it must not run on
 * a browser's main thread (Node's main thread and workers are fine). `timeoutMs` guards against a dead peer.
 */
export function barrierWait(state: Int32Array, parties: number, timeoutMs = 600_000): void {
  if (!(state.buffer instanceof SharedArrayBuffer)) throw new Error('barrierWait: state must live in a SharedArrayBuffer');
  const generation = Atomics.load(state, 1);
  if (Atomics.add(state, 0, 1) === parties - 1) {
    Atomics.store(state, 0, 0);
    Atomics.add(state, 1, 1);
    Atomics.notify(state, 1);
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (Atomics.load(state, 1) === generation) {
    const left = deadline - Date.now();
    if (left <= 0 || Atomics.wait(state, 1, generation, left) === 'timed-out') {
      throw new Error(`barrierWait: not all ${parties} parties arrived within ${timeoutMs} ms`);
    }
  }
}
