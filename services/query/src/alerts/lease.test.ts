import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Registry } from 'prom-client';
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
import { createEvaluator, DEFAULT_ALERTING } from './evaluator.ts';
import { createAlertMetrics } from './metrics.ts';
import { createAbsenceRule } from './test-rules.ts';

// Two evaluators on one database, ticked by the test on a clock it moves, while a webhook that does not
// answer keeps an evaluation running past its lease (10 s, its floor): the lease is renewed meanwhile, and
// once another replica has taken it the first stops without storing or notifying.
const DB = 'alert_lease';
let transport: ClickHouseTransport;
let api: FastifyInstance;
let offsetMs = 0;
const clock = () => Date.now() + offsetMs;

// The first request is held open until released; later ones are answered at once.
const requests: IncomingMessage[] = [];
const answered: string[] = [];
let held: ServerResponse | undefined;
const webhook = createServer((req, res) => {
  requests.push(req);
  if (requests.length === 1) held = res;
  else res.writeHead(200).end('{}', () => answered.push(req.url ?? ''));
});

before(async () => {
  transport = createChdbTransport({ path: mkdtempSync(join(tmpdir(), 'idl-alert-lease-')) });
  await createLogStore(transport, DB).migrate();
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  api = buildApp({
    store: createLogStore(transport, DB),
    keyring: parseApiKeys(''),
    saved: { saved: createSavedObjectStore(transport, DB), alerts: createAlertStore(transport, DB) },
    alerting: { evaluate: false },
  });
  await api.ready();
});
after(async () => {
  held?.destroy();
  webhook.closeAllConnections();
  await new Promise((resolve) => webhook.close(resolve));
  await api.close();
  await transport.close();
});

function evaluator() {
  const registry = new Registry();
  const alerts = createAlertStore(transport, DB);
  const e = createEvaluator({
    store: createLogStore(transport, DB),
    saved: createSavedObjectStore(transport, DB),
    alerts,
    metrics: createAlertMetrics(registry),
    clock,
    log: api.log,
    options: { ...DEFAULT_ALERTING, intervalMs: 100, delivery: { timeoutMs: 60_000, attempts: 1, backoffMs: 10 } },
  });
  const leader = async () => /^instant_logs_alert_evaluator_leader 1$/m.test(await registry.metrics());
  return { ...e, leader };
}

const lease = async () => (await createAlertStore(transport, DB).lease('alert-evaluator'))!;

test('an evaluation that outlasts its lease renews it; once another replica takes it, the first stops without notifying', async () => {
  await createAbsenceRule(api, `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`);
  const a = evaluator();
  const b = evaluator();

  await a.tick();
  assert.equal(await a.leader(), false, 'a claim holds from the next tick');
  let aDone = false;
  const aTick = a.tick().finally(() => (aDone = true));
  await waitUntil('the firing notification is sent and not answered', () => held);
  assert.equal(await a.leader(), true);

  // a's running evaluation renews the lease a third of the way through it.
  const claimed = await lease();
  const renewed = await waitUntil('a renewal during the evaluation', async () => {
    const now = await lease();
    return now.expiresAt > claimed.expiresAt && now;
  });
  assert.equal(renewed.holder, claimed.holder);
  offsetMs = claimed.expiresAt + 1 - Date.now(); // Past the first claim's expiry, within the renewal.
  await b.tick();
  assert.equal(await b.leader(), false, 'b took a lease that was renewed');
  assert.equal((await lease()).holder, claimed.holder);

  // Far past the renewal: b claims and holds the lease, and a's next renewal finds it taken.
  offsetMs += 60_000;
  await b.tick();
  assert.equal(aDone, false, 'a is still waiting on the webhook');
  let bTicks = 0;
  await waitUntil('a gives up its evaluation', async () => {
    if (!aDone) await b.tick().then(() => bTicks++);
    return aDone;
  });
  await aTick;
  assert.equal(await a.leader(), false);
  assert.ok(bTicks >= 1);
  assert.equal(await b.leader(), true, 'b evaluates');
  await waitUntil('b notifies', () => answered.length === 1);
  const [state] = [...(await createAlertStore(transport, DB).states()).values()].map(
    (body) => JSON.parse(body) as { state: string; sent?: { key: string } },
  );
  assert.equal(state?.state, 'firing');
  assert.ok(state?.sent, 'the delivery b made is stored; a stored nothing after losing the lease');
  assert.equal(requests.length, 2, 'one request from a (cut short) and one from b');

  await b.stop();
  await a.tick();
  assert.equal(await a.leader(), false, 'b released the lease: a claims it now');
  await a.tick();
  assert.equal(await a.leader(), true);
  await a.stop();
});
