// Numerical parity with the reference implementation: replays every fixture in ../shared/fixtures/parity
// (except optimizers.json) on the default backend (wasm here) and compares every step.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { createRng } from '@trm/augment';
import { initBackend } from '@trm/tensor-core';
import { createModel, disposeCarry } from '@trm/trm';
import type { Carry, StepOutput, TrainOutput } from '@trm/trm';
import { ErrorLog } from './compare.ts';
import { archOf, batchOf, fixtureFiles, loadFixture, paramsOf, toFloat64, toInt32 } from './fixtures.ts';
import type { Fixture } from './fixtures.ts';

const PREFIX = 'model.inner.';

function replay(fx: Fixture, log: ErrorLog): void {
  const arch = archOf(fx);
  const model = createModel(arch, 0);
  model.loadStateDict(paramsOf(fx));
  const training = fx.mode === 'train';
  const rng = createRng(0);
  const B = fx.batches[0].puzzle_identifiers.shape[0];
  let carry: Carry = model.initialCarry(B);
  for (const st of fx.steps) {
    const where = `${fx.file} step ${st.step}`;
    const batch = batchOf(fx, st.batch_passed);
    log.exact('carry_in', `${where} halted before`, carry.halted, toInt32(st.carry_in.halted));
    log.exact('carry_in', `${where} steps before`, carry.steps, toInt32(st.carry_in.steps));
    let out: StepOutput;
    if (st.step === 1) {
      const tr: TrainOutput = model.forwardBackward(carry, batch, { rng, lossScale: fx.loss_scale_for_grads, training });
      checkGrads(fx, tr, log);
      out = tr;
    } else {
      out = model.forward(carry, batch, { training, rng });
    }
    disposeCarry(carry);
    carry = out.carry;
    log.check('logits', `${where} logits`, out.logits, toFloat64(st.logits));
    log.check('q', `${where} q_halt`, out.qHalt, toFloat64(st.q_halt_logits));
    log.check('q', `${where} q_continue`, out.qContinue, toFloat64(st.q_continue_logits));
    log.check('z', `${where} z_H`, carry.zH.dataSync() as Float32Array, toFloat64(st.z_H));
    log.check('z', `${where} z_L`, carry.zL.dataSync() as Float32Array, toFloat64(st.z_L));
    log.exact('preds', `${where} preds`, out.preds, toInt32(st.preds));
    log.exact('halting', `${where} halted`, carry.halted, toInt32(st.halted));
    log.exact('halting', `${where} steps`, carry.steps, toInt32(st.steps));
    log.exact('halting', `${where} all_halted`, [out.allHalted ? 1 : 0], [st.all_halted ? 1 : 0]);
    log.exact('data', `${where} current_data.labels`, carry.data.labels, toInt32(st.current_data.labels));
    log.exact('data', `${where} current_data.puzzle_identifiers`, carry.data.puzzleIdentifiers, toInt32(st.current_data.puzzle_identifiers));
    log.check('loss', `${where} loss_total`, [out.lossTotal], [st.loss_total]);
    for (const [k, v] of Object.entries(st.metrics)) {
      const ours = (out.metrics as unknown as Record<string, number>)[k];
      if (ours === undefined) log.failures.push(`${where}: metric ${k} missing`);
      else log.check('metrics', `${where} metric ${k}`, [ours], [v]);
    }
  }
  disposeCarry(carry);
  model.dispose();
}

function checkGrads(fx: Fixture, tr: TrainOutput, log: ErrorLog): void {
  for (const [name, expected] of Object.entries(fx.grads_step1)) {
    const where = `${fx.file} grad ${name}`;
    if (name === `${PREFIX}puzzle_emb.local_weights`) {
      if (expected === null) {
        if (tr.puzzleEmbGrad !== null) log.failures.push(`${where}: expected no gradient (eval mode), got one`);
      } else if (!tr.puzzleEmbGrad) {
        log.failures.push(`${where}: missing`);
      } else {
        log.check('grads', where, tr.puzzleEmbGrad.grad.dataSync() as Float32Array, toFloat64(expected));
      }
      continue;
    }
    const g = tr.grads.get(name);
    if (!g || expected === null) {
      log.failures.push(`${where}: ${g ? 'unexpected' : 'missing'}`);
      continue;
    }
    log.check('grads', where, g.dataSync() as Float32Array, toFloat64(expected));
  }
  if (tr.grads.size !== Object.keys(fx.grads_step1).length - 1) {
    log.failures.push(`${fx.file}: ${tr.grads.size} parameter gradients, fixture has ${Object.keys(fx.grads_step1).length - 1}`);
  }
  tf.dispose([...tr.grads.values(), ...(tr.puzzleEmbGrad ? [tr.puzzleEmbGrad.grad] : [])]);
}

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
    replay(fx, log);
    const leaked = tf.memory().numTensors - before;
    console.log(`${fx.name} [${tf.getBackend()}]: ${log.summary()} | leaked tensors ${leaked}`);
    expect(log.failures.slice(0, 20)).toEqual([]);
    expect(leaked).toBe(0);
  });
});
