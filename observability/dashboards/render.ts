import { fileURLToPath } from 'node:url';
import { operatorDashboard } from './operator.ts';
import { pipelineDashboard } from './pipeline.ts';

/** Where the chart picks the dashboards up (one ConfigMap each). */
export const DASHBOARDS_DIR = fileURLToPath(
  new URL('../../charts/instant-logs-operator/files/dashboards/', import.meta.url),
);

/** Every dashboard as the JSON text committed under DASHBOARDS_DIR, keyed by file name. Pure. */
export function renderDashboards(): Map<string, string> {
  return new Map(
    [pipelineDashboard(), operatorDashboard()].map((d) => [`${d.uid}.json`, `${JSON.stringify(d, null, 2)}\n`]),
  );
}
