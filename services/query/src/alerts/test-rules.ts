import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';

/**
 * Test support: creates, through the API, a rule that fires while the batch service sends nothing (fires at the
 * first evaluation of an empty store) and posts JSON to `webhookUrl`; returns its id.
 */
export async function createAbsenceRule(app: FastifyInstance, webhookUrl: string): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/v1/alerts',
    headers: { 'content-type': 'application/json' },
    payload: {
      name: 'Nothing from the batch job',
      service: ['batch'],
      condition: { op: '<', threshold: 1, window_minutes: 10 },
      webhook: { type: 'json', url: webhookUrl },
    },
  });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().id as string;
}
