import type { FastifyInstance } from 'fastify';
import { openApiDocument } from '@instant-logs/schema';

/** GET /api/v1/openapi.json: the API's OpenAPI 3.1 document, public like the API's docs would be. */
export function registerOpenApiRoute(app: FastifyInstance): void {
  // Serialised once: the document is the same for every caller and every request.
  const body = JSON.stringify(openApiDocument());
  app.get('/api/v1/openapi.json', { config: { access: 'public' } }, async (_request, reply) =>
    reply.type('application/json; charset=utf-8').send(body),
  );
}
