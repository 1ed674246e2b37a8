// A stand-in for an MLflow tracking server on 127.0.0.1 (port 0), for tests: the REST endpoints the tracker uses,
// with the request checks and error answers of MLflow's server (RESOURCE_DOES_NOT_EXIST as 404,
// INVALID_PARAMETER_VALUE as 400 for a log-batch over its limits or an entry of the wrong type), and everything it
// received kept for the test to look at. `failNext` answers the next requests with 503.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandInRun {
  run_id: string;
  experiment_id: string;
  run_name: string;
  start_time: number;
  status: string;
  end_time: number | null;
  tags: Record<string, string>;
  params: Record<string, string>;
  metrics: { key: string; value: number; timestamp: number; step: number }[];
}

export interface MlflowStandIn {
  url: string;
  experiments: Map<string, { experiment_id: string; name: string }>;
  runs: Map<string, StandInRun>;
  /** every request: method, path (with query) and the authorization header */
  requests: { method: string; path: string; authorization?: string }[];
  /** answer the next this many requests with 503 */
  failNext: number;
  close(): Promise<void>;
}

class Invalid extends Error {}

const isInt = (v: unknown) => typeof v === 'number' && Number.isInteger(v);

export async function startMlflowStandIn(): Promise<MlflowStandIn> {
  const experiments = new Map<string, { experiment_id: string; name: string }>();
  const runs = new Map<string, StandInRun>();
  const requests: MlflowStandIn['requests'] = [];
  let nextId = 1;

  const handle = (method: string, url: URL, body: Record<string, unknown>): [number, unknown] => {
    const route = `${method} ${url.pathname}`;
    const runOf = (id: unknown) => {
      const r = runs.get(String(id));
      if (!r) return null;
      return r;
    };
    switch (route) {
      case 'GET /api/2.0/mlflow/experiments/get-by-name': {
        const name = url.searchParams.get('experiment_name') ?? '';
        const e = [...experiments.values()].find((x) => x.name === name);
        if (!e) return [404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Could not find experiment with name '${name}'` }];
        return [200, { experiment: { ...e, lifecycle_stage: 'active' } }];
      }
      case 'POST /api/2.0/mlflow/experiments/create': {
        if (typeof body.name !== 'string' || !body.name) throw new Invalid("Missing value for required parameter 'name'");
        if ([...experiments.values()].some((x) => x.name === body.name)) return [400, { error_code: 'RESOURCE_ALREADY_EXISTS', message: `Experiment '${body.name}' already exists` }];
        const e = { experiment_id: String(nextId++), name: body.name };
        experiments.set(e.experiment_id, e);
        return [200, { experiment_id: e.experiment_id }];
      }
      case 'POST /api/2.0/mlflow/runs/create': {
        if (!experiments.has(String(body.experiment_id))) return [404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `No Experiment with id=${body.experiment_id} exists` }];
        const run_id = `run${nextId++}`;
        const tags = Object.fromEntries(((body.tags as { key: string; value: string }[]) ?? []).map((t) => [t.key, t.value]));
        runs.set(run_id, { run_id, experiment_id: String(body.experiment_id), run_name: String(body.run_name ?? ''), start_time: Number(body.start_time), status: 'RUNNING', end_time: null, tags, params: {}, metrics: [] });
        return [200, { run: { info: { run_id, run_uuid: run_id, experiment_id: body.experiment_id, status: 'RUNNING' }, data: {} } }];
      }
      case 'POST /api/2.0/mlflow/runs/log-batch': {
        const r = runOf(body.run_id);
        if (!r) return [404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Run '${body.run_id}' not found` }];
        const metrics = (body.metrics as unknown[]) ?? [];
        const params = (body.params as unknown[]) ?? [];
        const tags = (body.tags as unknown[]) ?? [];
        if (metrics.length > 1000 || params.length > 100 || tags.length > 100 || metrics.length + params.length + tags.length > 1000) {
          throw new Invalid(`A batch logging request can contain at most 1000 metrics, 100 params and 100 tags; got ${metrics.length}, ${params.length}, ${tags.length}`);
        }
        for (const m of metrics as Record<string, unknown>[]) {
          if (typeof m.key !== 'string' || typeof m.value !== 'number' || !isInt(m.timestamp) || !isInt(m.step)) throw new Invalid(`bad metric ${JSON.stringify(m)}`);
        }
        for (const p of params as Record<string, unknown>[]) {
          if (typeof p.key !== 'string' || typeof p.value !== 'string' || p.value.length > 500) throw new Invalid(`bad param ${JSON.stringify(p).slice(0, 100)}`);
          if (p.key in r.params && r.params[p.key] !== p.value) throw new Invalid(`Changing param values is not allowed. Param with key='${p.key}' was already logged`);
          r.params[p.key] = p.value;
        }
        for (const t of tags as { key: string; value: string }[]) r.tags[t.key] = t.value;
        r.metrics.push(...(metrics as StandInRun['metrics']));
        return [200, {}];
      }
      case 'POST /api/2.0/mlflow/runs/update': {
        const r = runOf(body.run_id);
        if (!r) return [404, { error_code: 'RESOURCE_DOES_NOT_EXIST', message: `Run '${body.run_id}' not found` }];
        if (!['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'].includes(String(body.status))) throw new Invalid(`bad status ${body.status}`);
        r.status = String(body.status);
        r.end_time = isInt(body.end_time) ? (body.end_time as number) : null;
        return [200, { run_info: { run_id: r.run_id, status: r.status } }];
      }
      default:
        return [404, { error_code: 'ENDPOINT_NOT_FOUND', message: `No API endpoint ${route}` }];
    }
  };

  const standIn: Partial<MlflowStandIn> = { experiments, runs, requests, failNext: 0 };
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      requests.push({ method: req.method!, path: req.url!, authorization: req.headers.authorization });
      const send = (status: number, payload: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(payload));
      };
      if (standIn.failNext! > 0) {
        standIn.failNext!--;
        send(503, { error_code: 'TEMPORARILY_UNAVAILABLE', message: 'stand-in: failing on purpose' });
        return;
      }
      try {
        const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
        const [status, payload] = handle(req.method!, new URL(req.url!, 'http://127.0.0.1'), body);
        send(status, payload);
      } catch (e) {
        send(400, { error_code: 'INVALID_PARAMETER_VALUE', message: (e as Error).message });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  standIn.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  standIn.close = () => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  });
  return standIn as MlflowStandIn;
}
