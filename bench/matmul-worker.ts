// Worker entry of bench/matmul-probe.ts: its own tfjs backend; on 'go', an n x n float32 matmul `reps` times (after
// a warm-up) and the seconds of the timed part.
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients'; // bundled (GRADIENT_MODULE), as in the data-parallel workers: no @tensorflow/tfjs here
import { readInto } from '@trm/tensor-core';
import { initBackend, type BackendName } from '@trm/tensor-node';

const { backend, n, reps } = workerData as { backend: BackendName; n: number; reps: number };
const info = await initBackend(backend);
parentPort!.postMessage({ ready: info.name });
parentPort!.once('message', () => {
  const a = tf.randomUniform([n, n], -1, 1, 'float32', 1);
  const b = tf.randomUniform([n, n], -1, 1, 'float32', 2);
  for (let i = 0; i < 3; i++) tf.matMul(a, b).dispose(); // warm-up: kernel setup, first allocation, wasm tier-up
  const out = new Float32Array(n * n); // one array for every product read back (not one garbage copy each)
  const start = performance.now();
  for (let i = 0; i < reps; i++) {
    const c = tf.matMul(a, b);
    readInto(c, out);
    c.dispose(); // a leaked product would stay in the wasm heap (which never shrinks) and count in peak RSS
  }
  parentPort!.postMessage({ seconds: (performance.now() - start) / 1000 });
});
