// The trackers a training run reports to, from the config's `tracking` section and the environment (which wins):
//   tracking.jsonl      / TRM_TRACKING_JSONL   a file of JSON lines (relative paths: from the repository root)
//   tracking.mlflow_uri / TRM_MLFLOW_URI       an MLflow tracking server, e.g. http://127.0.0.1:5000
//   tracking.experiment                        the MLflow experiment (default: "trm")
// All empty by default: no tracking, and no run ever needs one.
import * as path from 'node:path';
import { jsonlTracker } from './jsonl.ts';
import { mlflowTracker } from './mlflow.ts';
import { fanOut, type Tracker } from './tracker.ts';

export { flatParams, type Metrics, type RunEnd, type RunStart, type RunStatus, type Tracker } from './tracker.ts';
export { jsonlTracker } from './jsonl.ts';
export { mlflowTracker } from './mlflow.ts';

export interface TrackingSettings {
  jsonl?: string;
  mlflow_uri?: string;
  experiment?: string;
}

/** The trackers asked for (null: none). */
export function createTracker(settings: TrackingSettings, root: string, warn: (message: string) => void, env: NodeJS.ProcessEnv = process.env): Tracker | null {
  const trackers: Tracker[] = [];
  const jsonl = env.TRM_TRACKING_JSONL ?? settings.jsonl ?? '';
  if (jsonl) trackers.push(jsonlTracker(path.resolve(root, jsonl), warn));
  const uri = env.TRM_MLFLOW_URI ?? settings.mlflow_uri ?? '';
  if (uri) {
    if (!/^https?:\/\//.test(uri)) warn(`tracking: ${env.TRM_MLFLOW_URI ? 'TRM_MLFLOW_URI' : 'tracking.mlflow_uri'} = ${JSON.stringify(uri)} is not an http(s) URL; MLflow tracking is off`);
    else trackers.push(mlflowTracker({ uri, experiment: settings.experiment || 'trm', warn, env }));
  }
  if (!trackers.length) return null;
  return trackers.length === 1 ? trackers[0] : fanOut(trackers);
}
