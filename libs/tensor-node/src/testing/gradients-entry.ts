// Worker entry for worker-bundle.test.ts: tfjs-core's gradients from the bundle, then a gradient through them on
// the cpu backend; reports whether the @tensorflow/tfjs package was loaded in this thread.
import { createRequire } from 'node:module';
import { parentPort } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { initBackend } from '@trm/tensor-node';

await initBackend('cpu'); // calls registerGradients()
const a = tf.tensor2d([1, 2, 3, 4], [2, 2]);
const b = tf.tensor2d([5, 6, 7, 8], [2, 2]);
const [ga] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.matMul(x, y)))([a, b]);
const loaded = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('/@tensorflow/tfjs/'));
parentPort!.postMessage({ grad: Array.from(ga.dataSync()), tfjsLoaded: loaded });
