import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { parseApiKeys } from '@instant-logs/service-kit';
import {
  createAlertStore,
  createChdbTransport,
  createLogStore,
  createSavedObjectStore,
  type ClickHouseTransport,
} from '@instant-logs/store';
import { waitUntil } from '@instant-logs/testbed';
import { buildApp } from '../app.ts';
import { webhookReceiver } from './receiver.ts';
import { createAbsenceRule } from './test-rules.ts';

// Two query replicas on one database, as behind a Service: one holds the lease and evaluates; when it
// stops, the other takes over from the stored state.
const DB = 'alert_replicas';
let transport: ClickHouseTransport;
const receiver = webhookReceiver();

before(async () => {
  transport = createChdbTransport({ path: mkdtempSync(join(tmpdir(), 'idl-alert-replicas-')) });
  await createLogStore(transport, DB).migrate();
  await receiver.start();
});
after(async () => {
  await receiver.stop();
  await transport.close();
});

function replica(): FastifyInstance {
  return buildApp({
    store: createLogStore(transport, DB),
    keyring: parseApiKeys(''),
    saved: { saved: createSavedObjectStore(transport, DB), alerts: createAlertStore(transport, DB) },
    alerting: { intervalMs: 100, delivery: { timeoutMs: 1_000, attempts: 1, backoffMs: 10 } },
  });
}
const leader = async (app: FastifyInstance) =>
  /^instant_logs_alert_evaluator_leader 1$/m.test((await app.inject({ url: '/metrics' })).body);
const evaluatedAt = async (app: FastifyInstance, id: string) =>
  (await app.inject({ url: `/api/v1/alerts/${id}` })).json().status.evaluated_at as string | null;

test('one replica evaluates and notifies; when it stops, the other takes over without notifying again', async () => {
  const a = replica();
  const b = replica();
  await a.ready();
  await b.ready();
  try {
    const id = await createAbsenceRule(a, `${receiver.url}/hook`);
    await waitUntil('the firing notification', () => receiver.received[0]);
    const [first, second] = (await leader(a)) ? [a, b] : [b, a];
    assert.equal(await leader(second), false, 'both replicas hold the lease');

    // Several more evaluations by the leader: the other stays out, and the state is not sent twice. The
    // webhook is answered before the leader stores the state it sent, so the test waits for that state first.
    const seen = await waitUntil('the delivered state stored', async () => {
      const { status } = (await first.inject({ url: `/api/v1/alerts/${id}` })).json();
      return status.notified === 'firing' && (status.evaluated_at as string);
    });
    await waitUntil('more evaluations', async () => {
      const now = await evaluatedAt(first, id);
      return now !== null && Date.parse(now) >= Date.parse(seen) + 300;
    });
    assert.equal(await leader(second), false);
    assert.equal(receiver.received.length, 1);

    await first.close();
    await waitUntil('the other replica takes the lease', () => leader(second), 10_000);
    const takeover = await evaluatedAt(second, id);
    await waitUntil('evaluations by the new leader', async () => (await evaluatedAt(second, id)) !== takeover);
    assert.equal(receiver.received.length, 1, 'the firing state was already delivered');
  } finally {
    await a.close();
    await b.close();
  }
});
