// Test-only worker entry (worker-bundle.test.ts): reports the import.meta.url each module sees and uses a package.
import { parentPort } from 'node:worker_threads';
import { util } from '@tensorflow/tfjs-core';
import { depUrl } from './meta-dep.ts';

parentPort!.postMessage({ entry: import.meta.url, dep: depUrl, size: util.sizeFromShape([2, 3]) });
