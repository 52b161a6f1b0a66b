import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { collectorPlugin, createCollectorMetrics } from '@instant-logs/collector';
import { createProcessor, type Processor, type ProcessorOptions } from '@instant-logs/processor';
import { createQueryMetrics, queryPlugin } from '@instant-logs/query';
import { createInProcessQueue } from '@instant-logs/queue';
import { type ApiKeyring, installNotFoundHandler, registerOpsRoutes, serverOptions } from '@instant-logs/service-kit';
import type { LogStore } from '@instant-logs/store';

export interface EmbeddedDeps {
  store: LogStore;
  keyring: ApiKeyring;
  processor?: Partial<ProcessorOptions>;
  clock?: () => number;
  tailPollMs?: number;
  /** The dashboard build served at / (default: the repository's dashboard/dist). */
  dashboardDir?: string;
  logger?: FastifyServerOptions['logger'];
  /** Process-wide metrics (CPU, memory, event loop); off in tests that build many apps. */
  defaultMetrics?: boolean;
}

export interface EmbeddedPipeline {
  app: FastifyInstance;
  processor: Processor;
  registry: Registry;
  /** Stops taking requests, stores everything acknowledged so far, then closes. */
  close(): Promise<void>;
}

/**
 * The whole pipeline in one process: the collector's and query service's own plugins on one
 * server, joined by an in-process queue that acknowledges only what the processor has stored.
 */
export function buildEmbeddedPipeline(deps: EmbeddedDeps): EmbeddedPipeline {
  const registry = new Registry();
  if (deps.defaultMetrics) collectDefaultMetrics({ register: registry });
  const processor = createProcessor(deps.store, registry, deps.processor);
  const queue = createInProcessQueue(processor.consume, () => deps.store.ping().then(() => true));
  const clock = deps.clock ? { clock: deps.clock } : {};

  const app = Fastify(serverOptions(deps.logger, { bodyLimit: 6 * 1024 * 1024 }));
  app.register(collectorPlugin, { queue, keyring: deps.keyring, metrics: createCollectorMetrics(registry), ...clock });
  app.register(queryPlugin, {
    store: deps.store,
    keyring: deps.keyring,
    metrics: createQueryMetrics(registry),
    ...clock,
    ...(deps.tailPollMs ? { tailPollMs: deps.tailPollMs } : {}),
    ...(deps.dashboardDir ? { dashboardDir: deps.dashboardDir } : {}),
  });
  installNotFoundHandler(app, 'API');
  registerOpsRoutes(app, { registry, ready: () => queue.ready() });

  return {
    app,
    processor,
    registry,
    async close() {
      await app.close();
      await queue.close();
      await processor.close();
    },
  };
}
