// Trackers against what they write: the JSON-lines file, and an MLflow stand-in server on 127.0.0.1 (port 0).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTracker, flatParams, jsonlTracker, mlflowTracker, type RunStart } from './index.ts';
import { startMlflowStandIn, type MlflowStandIn } from './testing/mlflow-stand-in.ts';

const config = { train: { lr: 1e-4, epochs: 20, ema: true }, arch: { hidden_size: 32, pos_encodings: 'rope' }, fetch: { files: ['a.csv', 'b.csv'] }, seed: 0 };
const start: RunStart = { config: 'sudoku-quick', run: 'a1b2c3d4e5f6', params: flatParams(config), startStep: 0, totalSteps: 2500 };

const servers: MlflowStandIn[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function standIn() {
  const s = await startMlflowStandIn();
  servers.push(s);
  return s;
}

describe('flatParams', () => {
  it('flattens sections to dotted keys, arrays as JSON', () => {
    expect(flatParams(config)).toEqual({ 'train.lr': 1e-4, 'train.epochs': 20, 'train.ema': true, 'arch.hidden_size': 32, 'arch.pos_encodings': 'rope', 'fetch.files': '["a.csv","b.csv"]', seed: 0 });
  });
});

describe('jsonl tracker', () => {
  it('writes one record per line, appends on a resumed run, and NaN as null', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-jsonl-'));
    const file = path.join(dir, 'sub', 'run.jsonl');
    const warnings: string[] = [];
    const t = jsonlTracker(file, (m) => warnings.push(m));
    await t.start(start);
    t.log('train', 1, 0, { 'train/loss': 2.5, 'train/lr': 1e-5 });
    t.log('train', 2, 0, { 'train/loss': Number.NaN });
    t.log('eval', 2, 1, { 'eval/exact_accuracy': 0.25 });
    await t.end({ status: 'stopped', reason: 'SIGINT', step: 2, metrics: {} });
    const again = jsonlTracker(file, (m) => warnings.push(m));
    await again.start({ ...start, startStep: 2 });
    await again.end({ status: 'finished', reason: null, step: 3, metrics: { 'eval/exact_accuracy': 0.5 } });
    const records = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(records.map((r) => [r.type, r.step ?? r.start_step])).toEqual([['run', 0], ['train', 1], ['train', 2], ['eval', 2], ['end', 2], ['run', 2], ['end', 3]]);
    expect(records[0].params['train.lr']).toBe(1e-4);
    expect(records[2].metrics['train/loss']).toBeNull();
    expect(records[4]).toMatchObject({ status: 'stopped', reason: 'SIGINT' });
    expect(records.every((r) => typeof r.time === 'string' && !Number.isNaN(Date.parse(r.time)))).toBe(true);
    expect(warnings).toEqual([]);
  });

  it('a file it cannot open is one warning, not a failure', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-jsonl-'));
    fs.writeFileSync(path.join(dir, 'file'), '');
    const warnings: string[] = [];
    const t = jsonlTracker(path.join(dir, 'file', 'run.jsonl'), (m) => warnings.push(m));
    await t.start(start);
    t.log('train', 1, 0, { 'train/loss': 1 });
    await t.end({ status: 'finished', reason: null, step: 1, metrics: {} });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cannot open .*run\.jsonl.*training goes on/);
  });
});

describe('mlflow tracker against a stand-in server', () => {
  it('creates the experiment and run, logs params and every metric by step, and ends the run', async () => {
    const s = await standIn();
    const warnings: string[] = [];
    const t = mlflowTracker({ uri: s.url + '/', experiment: 'trm-test', warn: (m) => warnings.push(m), flushMs: 20, env: { MLFLOW_TRACKING_TOKEN: 'secret' } });
    await t.start(start);
    for (let step = 1; step <= 2500; step++) {
      t.log('train', step, Math.floor(step / 125), { 'train/loss': 1 / step, 'train/accuracy': step / 2500 });
      if (step % 500 === 0) t.log('eval', step, step / 125, { 'eval/exact_accuracy': step / 5000, 'eval/exact_accuracy_step_1': Number.NaN });
    }
    await t.end({ status: 'early_stop', reason: 'no better eval/exact_accuracy in 2 evaluations', step: 2500, metrics: { 'final/exact_accuracy': 0.5 } });
    expect(warnings).toEqual([]);
    const [exp] = [...s.experiments.values()];
    expect(exp.name).toBe('trm-test');
    const [run] = [...s.runs.values()];
    expect(run.experiment_id).toBe(exp.experiment_id);
    expect(run.run_name).toBe('sudoku-quick');
    expect(run.params).toEqual(Object.fromEntries(Object.entries(start.params).map(([k, v]) => [k, String(v)])));
    expect(run.tags).toMatchObject({ 'trm.config': 'sudoku-quick', 'trm.run': 'a1b2c3d4e5f6', 'trm.status': 'early_stop', 'trm.reason': 'no better eval/exact_accuracy in 2 evaluations' });
    expect(run.status).toBe('FINISHED');
    expect(run.end_time).toBeGreaterThanOrEqual(run.start_time);
    const history = (key: string) => run.metrics.filter((m) => m.key === key).map((m) => [m.step, m.value]);
    expect(history('train/loss')).toEqual(Array.from({ length: 2500 }, (_, i) => [i + 1, 1 / (i + 1)]));
    expect(history('eval/exact_accuracy')).toEqual([[500, 0.1], [1000, 0.2], [1500, 0.3], [2000, 0.4], [2500, 0.5]]);
    expect(history('eval/exact_accuracy_step_1')).toEqual([]); // non-finite values are not sent
    expect(history('final/exact_accuracy')).toEqual([[2500, 0.5]]);
    // 5000 train + 5 eval + 1 final metrics: at least 6 log-batch requests of at most 1000
    expect(s.requests.filter((r) => r.path.endsWith('runs/log-batch')).length).toBeGreaterThanOrEqual(7);
    expect(s.requests.every((r) => r.authorization === 'Bearer secret')).toBe(true);
  });

  it('reuses an experiment that exists; a stop ends the run as KILLED', async () => {
    const s = await standIn();
    s.experiments.set('7', { experiment_id: '7', name: 'trm' });
    const t = createTracker({ mlflow_uri: 'http://127.0.0.1:1' }, '/', () => {}, { TRM_MLFLOW_URI: s.url, MLFLOW_TRACKING_USERNAME: 'u', MLFLOW_TRACKING_PASSWORD: 'p' })!;
    await t.start(start);
    t.log('train', 1, 0, { 'train/loss': 3 });
    await t.end({ status: 'stopped', reason: 'SIGINT', step: 1, metrics: {} });
    expect(s.experiments.size).toBe(1);
    const [run] = [...s.runs.values()];
    expect(run.experiment_id).toBe('7');
    expect(run.status).toBe('KILLED');
    expect(run.metrics).toHaveLength(1);
    expect(s.requests[0].authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  it('retries a server that answers 503, then delivers everything', async () => {
    const s = await standIn();
    const warnings: string[] = [];
    const t = mlflowTracker({ uri: s.url, experiment: 'trm', warn: (m) => warnings.push(m), flushMs: 10 });
    s.failNext = 2;
    await t.start(start);
    t.log('train', 1, 0, { 'train/loss': 3 });
    await t.end({ status: 'finished', reason: null, step: 1, metrics: {} });
    expect(warnings).toEqual([]);
    expect([...s.runs.values()][0].metrics).toHaveLength(1);
  });

  it('an unreachable server or a refused request is one warning; the calls return and nothing throws', async () => {
    const s = await standIn();
    const url = s.url;
    await s.close();
    servers.length = 0;
    const warnings: string[] = [];
    const t = mlflowTracker({ uri: url, experiment: 'trm', warn: (m) => warnings.push(m), timeoutMs: 2000 });
    await t.start(start);
    t.log('train', 1, 0, { 'train/loss': 3 });
    await t.end({ status: 'finished', reason: null, step: 1, metrics: {} });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/MLflow start failed .*cannot connect.*training goes on/);

    const s2 = await standIn();
    const w2: string[] = [];
    const t2 = mlflowTracker({ uri: s2.url, experiment: 'trm', warn: (m) => w2.push(m), flushMs: 10 });
    await t2.start(start);
    s2.failNext = 3; // more than the retries
    t2.log('train', 1, 0, { 'train/loss': 3 });
    await t2.end({ status: 'finished', reason: null, step: 1, metrics: {} });
    t2.log('train', 2, 0, { 'train/loss': 2 });
    expect(w2).toHaveLength(1);
    expect(w2[0]).toMatch(/MLflow logging metrics failed .*HTTP 503/);
    expect([...s2.runs.values()][0].status).toBe('RUNNING'); // given up: not even the end is sent

    const t3 = mlflowTracker({ uri: s2.url + '/nowhere', experiment: 'trm', warn: (m) => w2.push(m) });
    await t3.start(start);
    expect(w2).toHaveLength(2);
    expect(w2[1]).toMatch(/HTTP 404/);
  });

  it('is off unless asked for; a URI that is not http(s) is refused with a message', () => {
    const warnings: string[] = [];
    expect(createTracker({}, '/', (m) => warnings.push(m), {})).toBeNull();
    expect(createTracker({ mlflow_uri: 'file:///tmp/mlruns' }, '/', (m) => warnings.push(m), {})).toBeNull();
    expect(warnings[0]).toMatch(/tracking\.mlflow_uri = "file:\/\/\/tmp\/mlruns" is not an http\(s\) URL/);
    expect(createTracker({ jsonl: 'runs/x.jsonl' }, '/work', () => {}, {})!.name).toBe('jsonl /work/runs/x.jsonl');
  });
});
