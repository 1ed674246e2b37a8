// Numerical parity with the reference implementation: replays every fixture in ../shared/fixtures/parity
// (except optimizers.json) on the default backend (wasm here) and compares every step.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { ropeTablesHost } from '@trm/tensor-core';
import { initBackend } from '@trm/tensor-node';
import { ErrorLog } from './compare.ts';
import { fixtureFiles, loadFixture, toFloat64 } from './fixtures.ts';
import { replay } from './replay.ts';

const files = fixtureFiles();

describe('parity with the reference TRM', () => {
  beforeAll(async () => {
    const info = await initBackend();
    console.log(`parity backend: ${info.name} ${info.version}`);
  });

  it('finds fixtures', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s', (file) => {
    const fx = loadFixture(file);
    const log = new ErrorLog();
    const before = tf.memory().numTensors;
    if (fx.rope) {
      const [len, dim] = fx.rope.cos.shape;
      const ours = ropeTablesHost(dim, len, Number(fx.config.rope_theta));
      log.check('rope', `${file} rope cos`, ours.cos, toFloat64(fx.rope.cos));
      log.check('rope', `${file} rope sin`, ours.sin, toFloat64(fx.rope.sin));
    }
    replay(fx, log, true);
    replay(fx, log, false);
    const leaked = tf.memory().numTensors - before;
    console.log(`${fx.name} [${tf.getBackend()}]: ${log.summary()} | leaked tensors ${leaked}`);
    expect(log.failures.slice(0, 20)).toEqual([]);
    expect(leaked).toBe(0);
  });
});
