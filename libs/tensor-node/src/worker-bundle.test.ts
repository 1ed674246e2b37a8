import { Worker } from 'node:worker_threads';
import { sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleWorkerEntry } from './worker-bundle.ts';

describe('bundleWorkerEntry', () => {
  it('runs a TypeScript entry as one plain module in a worker, each module keeping its own import.meta.url', async () => {
    const entry = new URL('./testing/meta-entry.ts', import.meta.url);
    const bundle = await bundleWorkerEntry(entry);
    expect(fileURLToPath(bundle)).toContain(`${sep}node_modules${sep}.cache${sep}trm-workers${sep}meta-entry-`);
    expect(await bundleWorkerEntry(entry)).toBe(bundle); // built once per process
    const worker = new Worker(bundle);
    try {
      const got = await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      expect(got).toEqual({ entry: entry.href, dep: new URL('./testing/meta-dep.ts', import.meta.url).href, size: 6 });
    } finally {
      await worker.terminate();
    }
  });

  it('bundles tfjs-core\'s gradient registrations (GRADIENT_MODULE): gradients work without the @tensorflow/tfjs package', async () => {
    const worker = new Worker(await bundleWorkerEntry(new URL('./testing/gradients-entry.ts', import.meta.url)));
    try {
      const got = await new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      // d/da sum(a @ b) = ones @ b^T: rows [5+6, 7+8]
      expect(got).toEqual({ grad: [11, 15, 11, 15], tfjsLoaded: false });
    } finally {
      await worker.terminate();
    }
  });

  it('names the entry when it cannot be bundled', async () => {
    await expect(bundleWorkerEntry(new URL('./testing/no-such-entry.ts', import.meta.url))).rejects.toThrow(/could not bundle .*no-such-entry\.ts/);
  });
});
