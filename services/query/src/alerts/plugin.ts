import type { FastifyInstance } from 'fastify';
import type { AlertStore, LogStore, SavedObjectStore } from '@instant-logs/store';
import { registerSavedViewRoutes } from '../saved-views.ts';
import { createEvaluator, DEFAULT_ALERTING, type AlertingOptions } from './evaluator.ts';
import type { AlertMetrics } from './metrics.ts';
import { registerAlertRoutes } from './routes.ts';

/** Where saved views, alert rules and their state are kept. */
export interface SavedStores {
  saved: SavedObjectStore;
  alerts: AlertStore;
}

/** The saved-view and alert-rule routes, and the evaluator, started when the app is ready and stopped on close. */
export function registerSavedAndAlerts(
  app: FastifyInstance,
  deps: SavedStores & {
    store: LogStore;
    metrics: AlertMetrics;
    clock: () => number;
    alerting?: Partial<AlertingOptions> | undefined;
  },
): void {
  registerSavedViewRoutes(app, deps.saved, deps.clock);
  registerAlertRoutes(app, deps);
  const options = { ...DEFAULT_ALERTING, ...deps.alerting };
  if (!options.evaluate) return;
  const evaluator = createEvaluator({ ...deps, log: app.log, options });
  app.addHook('onReady', async () => evaluator.start());
  app.addHook('onClose', async () => evaluator.stop());
}
