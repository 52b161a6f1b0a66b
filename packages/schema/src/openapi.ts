import { z } from 'zod';
import { ApiError } from './api.ts';
import { API_ROUTES, type ApiRoute } from './api-routes.ts';

type JsonSchema = Record<string, unknown>;

/** Pure: a zod schema as JSON Schema; `io` picks the side a client writes (input) or reads (output). */
function jsonSchema(
  schema: z.ZodType,
  io: 'input' | 'output',
  target: 'draft-2020-12' | 'draft-7' = 'draft-2020-12',
): JsonSchema {
  // Preprocessed query parameters (a repeatable one becomes an array) have no JSON form for their input side:
  // 'any' leaves that side open, and the parameter's own schema below says what it takes.
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, target, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

/** Pure: the query-string parameters of a zod object, each optional unless it must be sent. */
function parameters(query: z.ZodObject): JsonSchema[] {
  const object = jsonSchema(query, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, schema]) => {
    // A repeatable parameter left out is an empty list, and one with a default may be left out too.
    const required = (object.required ?? []).includes(name) && !('default' in schema) && schema['type'] !== 'array';
    const { description, ...rest } = schema;
    return { name, in: 'query', required, ...(description ? { description } : {}), schema: rest };
  });
}

/** Pure: a route's path parameters, every one required. */
function pathParameters(params: z.ZodObject | undefined): JsonSchema[] {
  if (!params) return [];
  const object = jsonSchema(params, 'input') as { properties?: Record<string, JsonSchema> };
  return Object.entries(object.properties ?? {}).map(([name, schema]) => ({
    name,
    in: 'path',
    required: true,
    schema,
  }));
}

// Input side: an error may carry more top-level fields (an ingest's per-record errors) than the ones every error has.
const CODED_ERROR = {
  description: 'A coded error: QUERY_… or COLLECTOR_…, one status per code',
  content: { 'application/json': { schema: jsonSchema(ApiError, 'input') } },
};

function operation(route: ApiRoute): JsonSchema {
  const security =
    route.access === 'public' ? [] : [{ bearer: [] }, { apiKey: [] }, ...(route.websocket ? [{ ticket: [] }] : [])];
  const body = route.body && {
    required: route.method === 'POST' && route.access === 'ingest',
    content: Object.fromEntries(
      route.body.types.map((type) => [
        type,
        {
          schema:
            type === 'application/x-ndjson'
              ? { type: 'string', description: 'one JSON record a line' }
              : jsonSchema(route.body!.schema, 'input'),
        },
      ]),
    ),
  };
  const { status, schema, description } = route.response;
  return {
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    operationId: `${route.method.toLowerCase()}${route.path.replace(/[^a-zA-Z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    'x-access': route.access,
    security,
    ...(route.query || route.params
      ? { parameters: [...pathParameters(route.params), ...(route.query ? parameters(route.query) : [])] }
      : {}),
    ...(body ? { requestBody: body } : {}),
    responses: {
      [String(status)]: {
        description,
        ...(schema ? { content: { 'application/json': { schema: jsonSchema(schema, 'output') } } } : {}),
      },
      '4XX': CODED_ERROR,
      '5XX': CODED_ERROR,
    },
    ...(route.websocket ? { 'x-websocket-messages': jsonSchema(route.websocket, 'output') } : {}),
  };
}

/** Pure: the OpenAPI 3.1 document of every route in API_ROUTES, generated from their zod schemas. */
export function openApiDocument(): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of API_ROUTES) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    (paths[path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Instant Dev Logs API',
      version: '1',
      description:
        'Generated from the zod schemas in packages/schema/src (api.ts, api-routes.ts); do not edit by hand.',
    },
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key (API_KEYS); its tenant scopes every read and write',
        },
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        ticket: {
          type: 'apiKey',
          in: 'query',
          name: 'ticket',
          description: 'From POST /api/v1/tail/ticket, for browsers',
        },
      },
    },
    paths,
  };
}

/** Pure: the committed form of the document (openapi.json). */
export function renderOpenApi(): string {
  return `${JSON.stringify(openApiDocument(), null, 2)}\n`;
}

/** Pure: fastify's response schemas for a route (draft 7, which its serializer compiles): the success answer only. */
export function responseSchemas(route: ApiRoute): Record<number, JsonSchema> {
  // Error answers stay free-form: a coded error may carry extra top-level fields (an ingest's per-record errors).
  return route.response.schema
    ? { [route.response.status]: jsonSchema(route.response.schema, 'output', 'draft-7') }
    : {};
}
