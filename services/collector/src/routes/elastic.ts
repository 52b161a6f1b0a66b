import { hostname } from 'node:os';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CodedError } from '@instant-logs/service-kit';
import { COLLECTOR_ERRORS } from '../errors.ts';
import type { AcceptDeps } from '../accept.ts';
import { decompress } from '../decode-body.ts';
import { ingestBulk } from '../elastic/bulk-ingest.ts';
import { esErrorBody } from '../elastic/bulk-response.ts';
import { clusterInfo, licenseInfo, responseContentType, xpackInfo } from '../elastic/cluster-info.ts';
import { inIngestSpan } from '../tracing.ts';

const ES_CLIENT = 'elasticsearchClient';

/**
 * Elasticsearch-compatible ingest: `_bulk` (with or without an index in the path) and the few
 * read-only endpoints shippers call first (GET/HEAD /, /_license, /_xpack). Every answer names
 * the product, because the official clients refuse a server that does not.
 */
export function registerElasticRoutes(app: FastifyInstance, deps: AcceptDeps): void {
  for (const url of ['/_bulk', '/:index/_bulk']) {
    app.route({
      method: ['POST', 'PUT'],
      url,
      config: { access: 'ingest' },
      onSend: asElasticsearch,
      handler: (request, reply) => inIngestSpan('ingest elasticsearch bulk', request, () => bulk(request, reply, deps)),
    });
  }
  // In the embedded server GET / is also the dashboard: browsers (which ask for HTML) get the
  // dashboard, and every other client gets the cluster info.
  if (!app.hasConstraintStrategy(ES_CLIENT)) app.addConstraintStrategy(notBrowser);
  const node = hostname();
  app.route({
    method: 'GET',
    url: '/',
    config: { access: 'ingest' },
    constraints: { [ES_CLIENT]: 'yes' },
    onSend: asElasticsearch,
    handler: async () => clusterInfo(node),
  });
  app.route({
    method: 'GET',
    url: '/_license',
    config: { access: 'ingest' },
    onSend: asElasticsearch,
    handler: async () => licenseInfo(),
  });
  app.route({
    method: 'GET',
    url: '/_xpack',
    config: { access: 'ingest' },
    onSend: asElasticsearch,
    handler: async () => xpackInfo(),
  });
}

async function bulk(request: FastifyRequest, reply: FastifyReply, deps: AcceptDeps) {
  const started = performance.now();
  try {
    if (!Buffer.isBuffer(request.body)) throw COLLECTOR_ERRORS.EMPTY({ reason: 'request body is required' });
    const text = (await decompress(request.body, request.headers['content-encoding'])).toString('utf8');
    const index = (request.params as { index?: string }).index;
    const answer = await ingestBulk(text, index, request.tenant, deps);
    deps.metrics.ackSeconds.observe({ route: 'elastic' }, (performance.now() - started) / 1000);
    return reply.status(200).send(answer);
  } catch (err) {
    // Elasticsearch clients read whole-request failures as {error:{type,reason}, status}; 429 and 503 make them retry.
    if (!(err instanceof CodedError)) throw err;
    for (const [k, v] of Object.entries(err.headers)) reply.header(k, v);
    return reply.status(err.statusCode).send(esErrorBody(err.statusCode, err.message));
  }
}

// Also runs for answers made by the scope's hooks (a refused key), so those carry the header too.
async function asElasticsearch(request: FastifyRequest, reply: FastifyReply, payload: unknown) {
  reply.header('x-elastic-product', 'Elasticsearch');
  const type = reply.getHeader('content-type');
  if (typeof type === 'string' && type.startsWith('application/json'))
    reply.type(responseContentType(request.headers.accept));
  return payload;
}

type Strategy = Parameters<FastifyInstance['addConstraintStrategy']>[0];
type RouteHandler = ReturnType<ReturnType<Strategy['storage']>['get']>;

const notBrowser: Strategy = {
  name: ES_CLIENT,
  storage() {
    const handlers = new Map<unknown, RouteHandler>();
    return { get: (value) => handlers.get(value) ?? null, set: (value, handler) => void handlers.set(value, handler) };
  },
  deriveConstraint: (req) => {
    const accept = req.headers['accept'];
    return typeof accept === 'string' && accept.includes('text/html') ? 'no' : 'yes';
  },
  mustMatchWhenDerived: false,
};
