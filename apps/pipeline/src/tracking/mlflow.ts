// A run in an MLflow tracking server, through MLflow's REST API (version 2.0: the API the official Python client
// speaks; https://mlflow.org/docs/latest/rest-api.html). The `mlflow` npm package is not used: it prints every request
// body to stdout and lists experiments through an endpoint MLflow 2 removed (README "Experiment tracking").
//
//   start: experiments/get-by-name (or experiments/create), runs/create, runs/log-batch of the params
//   log:   queued; runs/log-batch of up to 1000 metrics every 2 s (one request in flight at a time)
//   end:   the queue, then tags trm.status/trm.reason and runs/update (FINISHED, KILLED or FAILED)
//
// A request that fails for a reason a retry can fix (no connection, 429, 5xx) is retried twice; any other failure
// logs one line and turns the tracker off: a run never waits on or fails because of its tracker. Auth: the
// environment variables of MLflow's own client, MLFLOW_TRACKING_TOKEN (bearer) or MLFLOW_TRACKING_USERNAME and
// MLFLOW_TRACKING_PASSWORD (basic).
import type { Metrics, RunEnd, RunStart, RunStatus, Tracker } from './tracker.ts';

export interface MlflowOptions {
  /** the tracking server, e.g. http://127.0.0.1:5000 */
  uri: string;
  experiment: string;
  /** the MLflow run name (default: the config's name) */
  runName?: string;
  warn: (message: string) => void;
  env?: NodeJS.ProcessEnv;
  /** ms between flushes of queued metrics */
  flushMs?: number;
  /** ms before one request is given up */
  timeoutMs?: number;
}

/** MLflow's limits: entities per log-batch request, and the length of a param value servers before 2.x accept. */
const MAX_METRICS = 1000;
const MAX_PARAMS = 100;
const MAX_PARAM_VALUE = 500;

const STATUS: Record<RunStatus, string> = { finished: 'FINISHED', early_stop: 'FINISHED', stopped: 'KILLED', failed: 'FAILED' };

interface MetricEntry {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

class RequestError extends Error {
  constructor(message: string, readonly retry: boolean) {
    super(message);
  }
}

function authHeader(env: NodeJS.ProcessEnv): Record<string, string> {
  if (env.MLFLOW_TRACKING_TOKEN) return { authorization: `Bearer ${env.MLFLOW_TRACKING_TOKEN}` };
  if (env.MLFLOW_TRACKING_USERNAME) return { authorization: `Basic ${Buffer.from(`${env.MLFLOW_TRACKING_USERNAME}:${env.MLFLOW_TRACKING_PASSWORD ?? ''}`).toString('base64')}` };
  return {};
}

export function mlflowTracker(opts: MlflowOptions): Tracker {
  const base = opts.uri.replace(/\/+$/, '');
  const headers = { 'content-type': 'application/json', accept: 'application/json', ...authHeader(opts.env ?? process.env) };
  const timeoutMs = opts.timeoutMs ?? 10_000;
  let runId: string | null = null;
  let off = false;
  let queue: MetricEntry[] = [];
  let inFlight: Promise<void> = Promise.resolve();
  let timer: NodeJS.Timeout | null = null;

  async function call(method: 'GET' | 'POST', endpoint: string, body?: unknown, allow404 = false): Promise<Record<string, unknown> | null> {
    const url = `${base}/api/2.0/mlflow/${endpoint}`;
    for (let attempt = 0; ; attempt++) {
      try {
        let res: Response;
        try {
          res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
        } catch (e) {
          const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).name;
          throw new RequestError(`${method} ${url}: ${cause === 'TimeoutError' ? `no answer in ${timeoutMs / 1000} s` : `cannot connect (${cause})`}`, true);
        }
        const text = await res.text();
        if (res.status === 404 && allow404) return null;
        if (!res.ok) throw new RequestError(`${method} ${url}: HTTP ${res.status} ${text.slice(0, 200)}`, res.status === 429 || res.status >= 500);
        try {
          return text ? (JSON.parse(text) as Record<string, unknown>) : {};
        } catch {
          throw new RequestError(`${method} ${url}: the answer is not JSON (${text.slice(0, 80)})`, false);
        }
      } catch (e) {
        if (!(e instanceof RequestError) || !e.retry || attempt >= 2) throw e;
        await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
      }
    }
  }

  const fail = (what: string, e: unknown) => {
    if (off) return;
    off = true;
    queue = [];
    if (timer) clearInterval(timer);
    opts.warn(`tracking: MLflow ${what} failed (${(e as Error).message}); no more metrics go to ${base}, training goes on`);
  };

  /** sends what is queued, one request at a time, in order */
  const flush = (): Promise<void> => {
    inFlight = inFlight.then(async () => {
      while (!off && runId && queue.length) {
        const metrics = queue.slice(0, MAX_METRICS);
        try {
          await call('POST', 'runs/log-batch', { run_id: runId, metrics });
          queue = queue.slice(metrics.length);
        } catch (e) {
          fail('logging metrics', e);
        }
      }
    });
    return inFlight;
  };

  return {
    get name() {
      return `mlflow ${base} (experiment ${opts.experiment}${runId ? `, run ${runId}` : ''})`;
    },
    async start(run: RunStart) {
      try {
        const found = await call('GET', `experiments/get-by-name?experiment_name=${encodeURIComponent(opts.experiment)}`, undefined, true);
        let experimentId = (found?.experiment as { experiment_id?: string } | undefined)?.experiment_id;
        if (!experimentId) experimentId = (await call('POST', 'experiments/create', { name: opts.experiment }))?.experiment_id as string | undefined;
        if (!experimentId) throw new Error('the server returned no experiment_id');
        const created = await call('POST', 'runs/create', {
          experiment_id: experimentId, run_name: opts.runName ?? run.config, start_time: Date.now(),
          tags: [{ key: 'trm.config', value: run.config }, { key: 'trm.run', value: run.run }, { key: 'trm.start_step', value: String(run.startStep) }, { key: 'mlflow.source.name', value: 'trm train' }],
        });
        runId = ((created?.run as { info?: { run_id?: string } } | undefined)?.info?.run_id) ?? null;
        if (!runId) throw new Error('the server returned no run_id');
        const params = Object.entries(run.params).map(([key, v]) => ({ key, value: String(v).slice(0, MAX_PARAM_VALUE) }));
        for (let i = 0; i < params.length; i += MAX_PARAMS) await call('POST', 'runs/log-batch', { run_id: runId, params: params.slice(i, i + MAX_PARAMS) });
      } catch (e) {
        fail('start', e);
        return;
      }
      timer = setInterval(() => void flush(), opts.flushMs ?? 2000);
      timer.unref();
    },
    log(_kind, step, _epoch, metrics: Metrics) {
      if (off) return;
      const timestamp = Date.now();
      for (const [key, value] of Object.entries(metrics)) if (Number.isFinite(value)) queue.push({ key, value, timestamp, step });
      if (queue.length >= MAX_METRICS) void flush();
    },
    async end(end: RunEnd) {
      if (timer) clearInterval(timer);
      timer = null;
      if (off || !runId) return;
      const timestamp = Date.now();
      for (const [key, value] of Object.entries(end.metrics)) if (Number.isFinite(value)) queue.push({ key, value, timestamp, step: end.step });
      await flush();
      if (off) return;
      try {
        const tags = [{ key: 'trm.status', value: end.status }, ...(end.reason ? [{ key: 'trm.reason', value: end.reason.slice(0, 5000) }] : [])];
        await call('POST', 'runs/log-batch', { run_id: runId, tags });
        await call('POST', 'runs/update', { run_id: runId, status: STATUS[end.status], end_time: Date.now() });
      } catch (e) {
        fail('ending the run', e);
      }
    },
  };
}
