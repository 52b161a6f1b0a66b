import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AlertHistory, AlertRule } from '@instant-logs/schema';
import { waitUntil } from '@instant-logs/testbed';
import { startTestPipeline } from '../../../embedded/src/test-pipeline.ts';
import { PostableAlerts } from './alertmanager-contract.ts';
import { webhookReceiver } from './receiver.ts';

// The whole path on the embedded process: records ingested over HTTP, the evaluator counting them in
// chdb every 100 ms, real HTTP receivers. The clock the service reads can be moved on, so "no more
// records for a while" needs no waiting for a window to pass.
describe('alert rules fire and resolve end to end, to real webhook receivers', () => {
  let p: Awaited<ReturnType<typeof startTestPipeline>>;
  let offsetMs = 0;
  const alertmanager = webhookReceiver();
  const json = { 'content-type': 'application/json' };

  before(async () => {
    await alertmanager.start();
    p = await startTestPipeline({
      clock: () => Date.now() + offsetMs,
      alerting: {
        intervalMs: 100,
        resendMs: 3_600_000,
        publicUrl: 'https://logs.example.com',
        delivery: { timeoutMs: 1_000, attempts: 2, backoffMs: 20 },
      },
    });
  });
  after(async () => {
    await p.close();
    await alertmanager.stop();
  });

  const create = async (body: unknown) => {
    const res = await p.app.inject({
      method: 'POST',
      url: '/api/v1/alerts',
      headers: json,
      payload: JSON.stringify(body),
    });
    assert.equal(res.statusCode, 201, res.body);
    return AlertRule.parse(res.json());
  };
  const rule = async (id: string) => AlertRule.parse((await p.app.inject({ url: `/api/v1/alerts/${id}` })).json());
  const ingest = async (records: unknown[]) => {
    const res = await p.app.inject({
      method: 'POST',
      url: '/api/v1/logs',
      headers: json,
      payload: JSON.stringify(records),
    });
    assert.equal(res.statusCode, 202, res.body);
  };
  const metrics = async () => (await p.app.inject({ url: '/metrics' })).body;
  // Counts distinct evaluation times seen after `since`: a check that reads twice in a row and wants them
  // to differ can fall into step with the evaluator and never see it move.
  const evaluationsAfter = async (id: string, since: string | null, n: number) => {
    const seen = new Set<string>();
    await waitUntil(`${n} more evaluations`, async () => {
      const at = (await rule(id)).status.evaluated_at;
      if (at !== null && (since === null || at > since)) seen.add(at);
      return seen.size >= n;
    });
  };

  test('count > N: pending, firing with an Alertmanager payload, then resolved with endsAt; history and metrics', async () => {
    const created = await create({
      name: 'Checkout failures',
      q: '"checkout failed"',
      service: ['shop'],
      condition: { op: '>', threshold: 3, window_minutes: 5 },
      for_seconds: 60,
      severity: 'critical',
      webhook: { type: 'alertmanager', url: alertmanager.url },
    });
    await waitUntil('the rule evaluated as inactive', async () => (await rule(created.id)).status.evaluated_at);
    assert.equal((await rule(created.id)).status.state, 'inactive');

    await ingest([
      ...Array.from({ length: 5 }, (_, i) => ({
        service: 'shop',
        level: 'error',
        message: `checkout failed for order ${i}`,
      })),
      { service: 'shop', level: 'info', message: 'checkout ok' },
      { service: 'other', level: 'error', message: 'checkout failed elsewhere' },
    ]);
    const pending = await waitUntil('pending', async () => {
      const r = await rule(created.id);
      return r.status.state === 'pending' && r;
    });
    assert.equal(pending.status.value, 5);
    // Still pending evaluations later: the clock has not moved the minute the rule waits for.
    await waitUntil(
      'more evaluations',
      async () => (await rule(created.id)).status.evaluated_at !== pending.status.evaluated_at,
    );
    assert.equal((await rule(created.id)).status.state, 'pending');
    assert.equal(alertmanager.received.length, 0, 'nothing is sent while pending');

    offsetMs += 61_000;
    const firing = await waitUntil(
      'firing',
      async () => {
        const r = await rule(created.id);
        return r.status.state === 'firing' && r.status.notified === 'firing' && r;
      },
      10_000,
    );
    const [post] = alertmanager.received;
    assert.equal(post?.path, '/api/v2/alerts');
    assert.match(post!.contentType, /^application\/json/);
    const alerts = PostableAlerts.parse(post!.body);
    assert.equal(alerts.length, 1);
    const [alert] = alerts;
    assert.deepEqual(alert!.labels, {
      alertname: 'Checkout failures',
      tenant: 'default',
      rule_id: created.id,
      severity: 'critical',
      source: 'instant-logs',
    });
    assert.equal(alert!.startsAt, firing.status.since);
    assert.equal(alert!.endsAt, undefined);
    const link = 'https://logs.example.com/?q=%22checkout+failed%22&from=now-5m&to=now&service=shop';
    assert.equal(alert!.generatorURL, link);
    assert.equal(alert!.annotations?.['dashboard_url'], link);
    assert.match(alert!.annotations?.['summary'] ?? '', /^Checkout failures: 5 records in the last 5 min \(> 3\)$/);
    assert.match(
      alert!.annotations?.['description'] ?? '',
      /^records matching "checkout failed", service shop: count > 3 over the last 5 min$/,
    );

    // Evaluations go on while it fires; the state already sent is not sent again.
    await evaluationsAfter(created.id, firing.status.evaluated_at, 2);
    assert.equal(alertmanager.received.length, 1);

    // Six minutes on, the window holds none of the records.
    offsetMs += 360_000;
    const resolvedPost = await waitUntil('the resolved notification', () => alertmanager.received[1]);
    const [resolved] = PostableAlerts.parse(resolvedPost.body);
    // The state is stored once the receiver has answered, so a moment after it got the post.
    const after = await waitUntil('resolved, marked delivered', async () => {
      const r = await rule(created.id);
      return r.status.notified === 'resolved' && r;
    });
    assert.equal(after.status.state, 'resolved');
    assert.equal(resolved!.endsAt, after.status.since);
    assert.equal(resolved!.startsAt, alert!.startsAt);
    assert.deepEqual(resolved!.labels, alert!.labels);
    assert.ok(Date.parse(resolved!.endsAt!) > Date.parse(resolved!.startsAt!));

    const history = AlertHistory.parse((await p.app.inject({ url: `/api/v1/alerts/${created.id}/history` })).json());
    assert.deepEqual(
      history.transitions.map((t) => [t.from, t.to, t.value, t.threshold]),
      [
        ['firing', 'resolved', 0, 3],
        ['pending', 'firing', 5, 3],
        ['inactive', 'pending', 5, 3],
      ],
    );
    assert.equal(history.transitions[1]!.at, alert!.startsAt);

    const scrape = await metrics();
    assert.match(scrape, new RegExp(`instant_logs_alert_state\\{tenant="default",rule="${created.id}"\\} 0`));
    assert.match(scrape, /^instant_logs_alert_evaluator_leader 1$/m);
    assert.match(scrape, /instant_logs_alert_notifications_total\{result="sent"\} [2-9]/);
    assert.match(scrape, /instant_logs_alert_evaluations_total\{result="ok"\} \d+/);
    await p.app.inject({ method: 'DELETE', url: `/api/v1/alerts/${created.id}` });
  });

  test('count < N fires on absence; a receiver that is down gets the notification once it is back, once', async () => {
    const hook = webhookReceiver();
    await hook.start();
    const url = `${hook.url}/hooks/logs?token=t1`;
    await hook.stop();

    const failedBefore = Number(
      /instant_logs_alert_notifications_total\{result="failed"\} (\d+)/.exec(await metrics())?.[1],
    );
    const created = await create({
      name: 'Heartbeat missing',
      service: ['heartbeat'],
      condition: { op: '<', threshold: 1, window_minutes: 1 },
      webhook: { type: 'json', url },
    });
    const firing = await waitUntil('firing, not delivered', async () => {
      const r = await rule(created.id);
      const failed = Number(
        /instant_logs_alert_notifications_total\{result="failed"\} (\d+)/.exec(await metrics())?.[1],
      );
      return r.status.state === 'firing' && failed >= failedBefore + 2 && r;
    });
    assert.equal(firing.status.notified, null);

    await hook.start();
    try {
      const delivered = await waitUntil('delivery after the receiver is back', () => hook.received[0]);
      assert.equal(delivered.path, '/hooks/logs?token=t1');
      const body = delivered.body as Record<string, unknown>;
      assert.equal(body['state'], 'firing');
      assert.deepEqual([body['value'], body['op'], body['threshold'], body['window_minutes']], [0, '<', 1, 1]);
      assert.equal(body['started_at'], firing.status.since);
      assert.equal(body['ended_at'], null);
      assert.equal(body['url'], 'https://logs.example.com/?from=now-1m&to=now&service=heartbeat');
      assert.deepEqual((body['rule'] as Record<string, unknown>)['id'], created.id);
      const sent = await waitUntil('notified', async () => {
        const r = await rule(created.id);
        return r.status.notified === 'firing' && r;
      });
      await evaluationsAfter(created.id, sent.status.evaluated_at, 2);
      assert.equal(hook.received.length, 1, 'a delivered state is not sent again');
    } finally {
      await hook.stop();
    }
  });

  test('a rule on a pattern (pattern:"…" in its search) counts only that template\'s messages', async () => {
    const hook = webhookReceiver();
    await hook.start();
    try {
      const created = await create({
        name: 'Refund failures',
        q: 'pattern:"refund <NUM> failed after <NUM> ms"',
        condition: { op: '>', threshold: 2, window_minutes: 5 },
        webhook: { type: 'json', url: hook.url },
      });
      await ingest([
        ...[1, 2, 3].map((i) => ({ service: 'billing', message: `refund ${i} failed after ${i * 10} ms` })),
        ...[4, 5, 6].map((i) => ({ service: 'billing', message: `refund ${i} queued after ${i * 10} ms` })),
      ]);
      const delivered = await waitUntil('the firing notification', () => hook.received[0]);
      const body = delivered.body as Record<string, unknown>;
      assert.deepEqual([body['state'], body['value']], ['firing', 3]);
      const stored = await waitUntil('marked delivered', async () => {
        const r = await rule(created.id);
        return r.status.notified === 'firing' && r;
      });
      assert.equal(stored.status.value, 3);
    } finally {
      await hook.stop();
    }
  });
  test('a rise rule on a pattern fires when its window holds factor × the window before, with both counts', async () => {
    const am = webhookReceiver();
    const hook = webhookReceiver();
    await Promise.all([am.start(), hook.start()]);
    try {
      const condition = { op: 'rise', factor: 3, threshold: 4, window_minutes: 1 };
      const q = 'pattern:"card <NUM> declined after <NUM> ms"';
      const [toAm, toJson] = await Promise.all([
        create({ name: 'Declines rising', q, condition, webhook: { type: 'alertmanager', url: am.url } }),
        create({ name: 'Declines rising (json)', q, condition, webhook: { type: 'json', url: hook.url } }),
      ]);
      const declined = (ageMs: number, i: number) => ({
        service: 'payments',
        timestamp: new Date(Date.now() + offsetMs - ageMs).toISOString(),
        message: `card ${i} declined after ${i * 7} ms`,
      });
      // Two in the minute before the rule's window (90 s ago), and one unrelated template now.
      await ingest([
        declined(90_000, 1),
        declined(90_000, 2),
        { service: 'payments', message: 'card 3 accepted after 21 ms' },
      ]);
      const before = await waitUntil('the window before counted', async () => {
        const r = await rule(toAm.id);
        return r.status.previous === 2 && r;
      });
      assert.deepEqual([before.status.state, before.status.value], ['inactive', 0]);

      // Six now: 6 ≥ 3 × 2 and 6 > 4.
      await ingest(Array.from({ length: 6 }, (_, i) => declined(5_000, 10 + i)));
      const [posted, json] = await Promise.all([
        waitUntil('the Alertmanager notification', () => am.received[0]),
        waitUntil('the JSON notification', () => hook.received[0]),
      ]);
      const [alert] = PostableAlerts.parse(posted.body);
      assert.equal(
        alert!.annotations?.['summary'],
        'Declines rising: 6 records in the last 1 min, 2 in the 1 min before (rise ×3, > 4)',
      );
      assert.deepEqual([alert!.annotations?.['previous_count'], alert!.annotations?.['factor']], ['2', '3']);
      assert.match(alert!.generatorURL ?? '', /from=now-2m&to=now/);
      const body = json.body as Record<string, unknown>;
      assert.deepEqual(
        [body['state'], body['op'], body['value'], body['previous_value'], body['factor'], body['threshold']],
        ['firing', 'rise', 6, 2, 3, 4],
      );
      const firing = await waitUntil('firing, marked delivered', async () => {
        const r = await rule(toAm.id);
        return r.status.notified === 'firing' && r;
      });
      assert.deepEqual([firing.status.state, firing.status.value, firing.status.previous], ['firing', 6, 2]);
      const history = AlertHistory.parse((await p.app.inject({ url: `/api/v1/alerts/${toAm.id}/history` })).json());
      assert.deepEqual(
        history.transitions.map((t) => [t.from, t.to, t.value, t.threshold]),
        [['inactive', 'firing', 6, 4]],
      );
      await Promise.all([toAm, toJson].map((r) => p.app.inject({ method: 'DELETE', url: `/api/v1/alerts/${r.id}` })));
    } finally {
      await Promise.all([am.stop(), hook.stop()]);
    }
  });

  test('a rise rule does not fire on a flat rate, however far above its threshold', async () => {
    const hook = webhookReceiver();
    await hook.start();
    try {
      const created = await create({
        name: 'Refills rising',
        q: 'pattern:"cache <NUM> refilled in <NUM> ms"',
        condition: { op: 'rise', factor: 2, threshold: 1, window_minutes: 10 },
        webhook: { type: 'json', url: hook.url },
      });
      const refilled = (ageMs: number, i: number) => ({
        service: 'cache',
        timestamp: new Date(Date.now() + offsetMs - ageMs).toISOString(),
        message: `cache ${i} refilled in ${i * 3} ms`,
      });
      // Five in each 10-minute window, each five minutes from its window's edges: the test's waits, which take
      // over 30 s on a busy machine, cannot move a record into the other window (with 1-minute windows they did).
      await ingest(Array.from({ length: 10 }, (_, i) => refilled(i < 5 ? 15 * 60_000 : 5 * 60_000, i)));
      const counted = await waitUntil('both windows counted', async () => {
        const r = await rule(created.id);
        return r.status.value === 5 && r.status.previous === 5 && r;
      });
      await evaluationsAfter(created.id, counted.status.evaluated_at, 2);
      assert.equal((await rule(created.id)).status.state, 'inactive');
      assert.equal(hook.received.length, 0);
      await p.app.inject({ method: 'DELETE', url: `/api/v1/alerts/${created.id}` });
    } finally {
      await hook.stop();
    }
  });
});
