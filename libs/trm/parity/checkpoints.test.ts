// The reference-format checkpoints of ../shared/fixtures/checkpoints (made by the reference code for the parity
// fixtures' models): importing each gives the fixture's params bit for bit (a bfloat16 file: the params rounded to
// bfloat16), and the model built from an imported float32 file reproduces the fixture's outputs.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { readCheckpoint, roundToBfloat16, stripCompilePrefix } from '@trm/reference';
import { initBackend } from '@trm/tensor-node';
import { ErrorLog } from './compare.ts';
import { fixtureFiles, loadFixture, paramsOf } from './fixtures.ts';
import { replay } from './replay.ts';

const DIR = fileURLToPath(new URL('../../../../shared/fixtures/checkpoints/', import.meta.url));
const checkpoints = readdirSync(DIR)
  .filter((d) => statSync(DIR + d).isDirectory())
  .flatMap((d) => readdirSync(DIR + d).map((f) => `${d}/${f}`))
  .sort();

/** `<name>/<file>` belongs to the parity fixtures `<name>_eval.json` and `<name>_train.json`. */
const fixturesOf = (rel: string) => fixtureFiles().filter((f) => f === `${rel.split('/')[0]}_eval.json` || f === `${rel.split('/')[0]}_train.json`);

function imported(rel: string) {
  const ck = readCheckpoint(new Uint8Array(readFileSync(DIR + rel)), rel);
  return { ...ck, params: stripCompilePrefix(ck.tensors, rel) };
}

describe('reference checkpoints import bit-exactly and reproduce the parity outputs', () => {
  beforeAll(async () => {
    await initBackend(); // may build the native addon first
  }, 300_000);

  it('finds checkpoint fixtures, each with its parity fixtures', () => {
    expect(checkpoints.length).toBeGreaterThan(0);
    for (const rel of checkpoints) expect(fixturesOf(rel), rel).toHaveLength(2);
  });

  it.each(checkpoints)('%s: every tensor equals the parity fixture params bit for bit', (rel) => {
    const { params, sourceDtypes } = imported(rel);
    const fx = loadFixture(fixturesOf(rel)[0]);
    const expected = paramsOf(fx);
    expect(Object.keys(params).sort()).toEqual(Object.keys(expected).sort());
    const source = new Set(Object.values(sourceDtypes));
    expect(source.size, `${rel}: one element type`).toBe(1);
    const bf16 = source.has('bfloat16');
    if (!bf16) expect([...source]).toEqual(['float32']);
    let differing = 0;
    for (const [name, want] of Object.entries(expected)) {
      expect(params[name].shape, name).toEqual(want.shape);
      const wantValues = bf16 ? roundToBfloat16(want.data as Float32Array) : (want.data as Float32Array);
      const got = new Uint32Array((params[name].data as Float32Array).buffer);
      const exp = new Uint32Array(wantValues.buffer, wantValues.byteOffset, wantValues.length);
      for (let i = 0; i < exp.length; i++) if (got[i] !== exp[i]) differing++;
    }
    console.log(`${rel}: ${Object.keys(params).length} tensors, ${[...source][0]}, ${differing} values differ from the fixture${bf16 ? ' rounded to bfloat16' : ''}`);
    expect(differing).toBe(0);
  });

  const float32Runs = checkpoints.flatMap((rel) => fixturesOf(rel).map((f): [string, string] => [rel, f]));
  it.each(float32Runs)('%s replays %s', (rel, fixtureFile) => {
    const { params, sourceDtypes } = imported(rel);
    if (Object.values(sourceDtypes).some((d) => d !== 'float32')) {
      console.log(`${rel}: weights stored in ${Object.values(sourceDtypes)[0]}, not the fixture's float32 values; its outputs are not compared with ${fixtureFile} (checked above: the import equals the fixture rounded)`);
      return;
    }
    const fx = loadFixture(fixtureFile);
    const log = new ErrorLog();
    const before = tf.memory().numTensors;
    replay(fx, log, true, params);
    replay(fx, log, false, params);
    console.log(`${rel} as ${fixtureFile}: ${log.summary()}`);
    expect(log.failures.slice(0, 20)).toEqual([]);
    expect(tf.memory().numTensors - before).toBe(0);
  });
});
