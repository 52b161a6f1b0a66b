import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { API_ROUTES } from './api-routes.ts';
import { openApiDocument, renderOpenApi } from './openapi.ts';

test('openapi.json matches the zod schemas (run `make openapi` after changing them)', () => {
  assert.equal(readFileSync(new URL('../../../openapi.json', import.meta.url), 'utf8'), renderOpenApi());
});

test('every declared route is one operation of the document, with a unique operationId and a coded error shape', () => {
  const paths = openApiDocument()['paths'] as Record<
    string,
    Record<string, { operationId: string; responses: Record<string, unknown> }>
  >;
  const operations = Object.values(paths).flatMap((byMethod) => Object.values(byMethod));
  assert.equal(operations.length, API_ROUTES.length);
  assert.equal(new Set(operations.map((o) => o.operationId)).size, operations.length);
  for (const o of operations) assert.ok(o.responses['4XX'] && o.responses['5XX'], o.operationId);
});

test('query parameters with defaults or repeatable ones are optional, and their limits come from the zod types', () => {
  const paths = openApiDocument()['paths'] as Record<
    string,
    Record<string, { parameters: { name: string; required: boolean; schema: Record<string, unknown> }[] }>
  >;
  const params = Object.fromEntries(paths['/api/v1/logs']!['get']!.parameters.map((p) => [p.name, p]));
  assert.deepEqual(Object.keys(params), ['from', 'to', 'service', 'level', 'q', 'limit', 'cursor']);
  assert.ok(Object.values(params).every((p) => !p.required));
  assert.deepEqual(
    [params['limit']!.schema['maximum'], params['q']!.schema['maxLength'], params['service']!.schema['type']],
    [1000, 4096, 'array'],
  );
});

test('the document is valid OpenAPI 3.1 by the specification’s own JSON schema, and the check can fail', async () => {
  const validator = new Validator();
  const document = openApiDocument();
  const result = await validator.validate(structuredClone(document));
  assert.equal(validator.version, '3.1');
  assert.ok(result.valid, JSON.stringify(result.errors)?.slice(0, 2000));
  const broken = structuredClone(document) as { paths: Record<string, Record<string, { responses: unknown }>> };
  broken.paths['/api/v1/logs']!['post']!.responses = 'none';
  assert.equal((await new Validator().validate(broken)).valid, false);
});
