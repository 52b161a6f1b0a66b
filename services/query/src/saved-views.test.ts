import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AlertRule, AlertRuleList, SavedView, SavedViewList } from '@instant-logs/schema';
import { startTestPipeline } from '../../embedded/src/test-pipeline.ts';

const ADMIN = 'acme-admin-key-000001';
const QUERY = 'acme-query-key-000001';
const OTHER = 'other-admin-key-00001';

describe('saved views and alert rules over HTTP, with keys', () => {
  let p: Awaited<ReturnType<typeof startTestPipeline>>;

  before(async () => {
    p = await startTestPipeline({
      apiKeys: `${ADMIN}:acme:query+admin,${QUERY}:acme:query,${OTHER}:other:query+admin`,
      alerting: { evaluate: false },
    });
  });
  after(() => p.close());

  const call = (key: string, method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown) =>
    p.app.inject({
      method,
      url,
      headers: {
        authorization: `Bearer ${key}`,
        ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
    });
  const view = {
    name: 'Checkout errors (EU)',
    q: 'checkout AND -healthz',
    service: ['api', 'web'],
    level: ['error', 'fatal'],
    from: 'now-1h',
    columns: ['time', 'level', 'message', 'attributes.region'],
    tz: 'utc',
  };
  const rule = {
    name: 'Too many checkout errors',
    q: 'checkout',
    level: ['error'],
    condition: { op: '>', threshold: 10, window_minutes: 5 },
    webhook: { type: 'alertmanager', url: 'http://alertmanager.monitoring:9093' },
  };

  test('an admin key saves a view; it reads back whole, with defaults filled and a dashboard link', async () => {
    const res = await call(ADMIN, 'POST', '/api/v1/views', view);
    assert.equal(res.statusCode, 201, res.body);
    const saved = SavedView.parse(res.json());
    assert.match(saved.id, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(saved.url, `/?view=${saved.id}`);
    assert.deepEqual(
      { ...saved, id: 0, url: 0, created_at: 0, updated_at: 0 },
      { ...view, to: 'now', id: 0, url: 0, created_at: 0, updated_at: 0 },
    );
    const got = await call(QUERY, 'GET', `/api/v1/views/${saved.id}`);
    assert.equal(got.statusCode, 200, got.body);
    assert.deepEqual(got.json(), saved);
  });

  test('a query key lists and reads views but cannot create, change or delete one (403 naming the scope)', async () => {
    const created = SavedView.parse((await call(ADMIN, 'POST', '/api/v1/views', { name: 'mine' })).json());
    for (const [method, url, body] of [
      ['POST', '/api/v1/views', { name: 'x' }],
      ['PUT', `/api/v1/views/${created.id}`, { name: 'y' }],
      ['DELETE', `/api/v1/views/${created.id}`, undefined],
      ['POST', '/api/v1/alerts', rule],
    ] as const) {
      const res = await call(QUERY, method, url, body);
      assert.equal(res.statusCode, 403, `${method} ${url}: ${res.body}`);
      assert.match(res.json().error.message, /lacks the "admin" scope/);
    }
    const list = SavedViewList.parse((await call(QUERY, 'GET', '/api/v1/views')).json());
    assert.ok(list.views.some((v) => v.id === created.id && v.name === 'mine'));
  });

  test("another tenant's id is a 404, the same as an id that never existed, for every method", async () => {
    const created = SavedView.parse((await call(ADMIN, 'POST', '/api/v1/views', { name: 'private' })).json());
    const ruleId = AlertRule.parse((await call(ADMIN, 'POST', '/api/v1/alerts', rule)).json()).id;
    const unknown = 'AAAAAAAAAAAAAAAAAAAAAA';
    for (const [method, url, body] of [
      ['GET', `/api/v1/views/${created.id}`, undefined],
      ['PUT', `/api/v1/views/${created.id}`, { name: 'stolen' }],
      ['DELETE', `/api/v1/views/${created.id}`, undefined],
      ['GET', `/api/v1/alerts/${ruleId}`, undefined],
      ['GET', `/api/v1/alerts/${ruleId}/history`, undefined],
      ['DELETE', `/api/v1/alerts/${ruleId}`, undefined],
    ] as const) {
      const theirs = await call(OTHER, method, url, body);
      const never = await call(ADMIN, method, url.replace(/[A-Za-z0-9_-]{22}/, unknown), body);
      assert.equal(theirs.statusCode, 404, `${method} ${url}: ${theirs.body}`);
      assert.equal(theirs.json().error.field, 'id');
      assert.equal(never.statusCode, 404);
      assert.equal(theirs.json().error.code, never.json().error.code);
    }
    assert.deepEqual(SavedViewList.parse((await call(OTHER, 'GET', '/api/v1/views')).json()).views, []);
    assert.deepEqual(AlertRuleList.parse((await call(OTHER, 'GET', '/api/v1/alerts')).json()).rules, []);
    assert.equal((await call(ADMIN, 'GET', `/api/v1/views/${created.id}`)).json().name, 'private');
  });

  test('a view is renamed and changed in place (same id and link), and deleted', async () => {
    const created = SavedView.parse((await call(ADMIN, 'POST', '/api/v1/views', { name: 'draft' })).json());
    const put = await call(ADMIN, 'PUT', `/api/v1/views/${created.id}`, { ...view, name: 'final' });
    assert.equal(put.statusCode, 200, put.body);
    const updated = SavedView.parse(put.json());
    assert.deepEqual([updated.id, updated.url, updated.name, updated.q], [created.id, created.url, 'final', view.q]);
    assert.equal(updated.created_at, created.created_at);
    const del = await call(ADMIN, 'DELETE', `/api/v1/views/${created.id}`);
    assert.equal(del.statusCode, 204, del.body);
    assert.equal((await call(ADMIN, 'GET', `/api/v1/views/${created.id}`)).statusCode, 404);
    assert.equal((await call(ADMIN, 'DELETE', `/api/v1/views/${created.id}`)).statusCode, 404);
  });

  test('bad input is a 400 naming the field', async () => {
    const cases: Array<[string, unknown, string, RegExp]> = [
      ['/api/v1/views', {}, 'name', /name/],
      ['/api/v1/views', { name: '' }, 'name', /must not be empty/],
      ['/api/v1/views', { name: 'x'.repeat(101) }, 'name', /at most 100/],
      ['/api/v1/views', { name: '<script>' }, 'name', /letters, digits/],
      ['/api/v1/views', { name: 'ok', from: 'yesterday-ish' }, 'from', /not a time/],
      ['/api/v1/views', { name: 'ok', q: 'status:(' }, 'q', /./],
      ['/api/v1/views', { name: 'ok', level: ['loud'] }, 'level', /./],
      ['/api/v1/views', { name: 'ok', tz: 'mars' }, 'tz', /./],
      ['/api/v1/views', { name: 'ok', colour: 'red' }, '(body)', /colour/],
      ['/api/v1/alerts', { ...rule, condition: { op: '>=', threshold: 1, window_minutes: 5 } }, 'condition.op', /./],
      [
        '/api/v1/alerts',
        { ...rule, condition: { op: '>', threshold: -1, window_minutes: 5 } },
        'condition.threshold',
        /./,
      ],
      [
        '/api/v1/alerts',
        { ...rule, condition: { op: '>', threshold: 1, window_minutes: 0 } },
        'condition.window_minutes',
        /./,
      ],
      [
        '/api/v1/alerts',
        { ...rule, webhook: { type: 'json', url: 'file:///etc/passwd' } },
        'webhook.url',
        /http or https/,
      ],
      ['/api/v1/alerts', { ...rule, webhook: { type: 'sms', url: 'http://x' } }, 'webhook.type', /./],
      ['/api/v1/alerts', { ...rule, for_seconds: 1.5 }, 'for_seconds', /./],
      [
        '/api/v1/alerts',
        { ...rule, condition: { op: 'rise', threshold: 10, window_minutes: 5 } },
        'condition.factor',
        /required when op is rise/,
      ],
      [
        '/api/v1/alerts',
        { ...rule, condition: { op: '>', factor: 3, threshold: 10, window_minutes: 5 } },
        'condition.factor',
        /only for op rise, not >/,
      ],
      [
        '/api/v1/alerts',
        { ...rule, condition: { op: '<', factor: 3, threshold: 10, window_minutes: 5 } },
        'condition.factor',
        /only for op rise, not </,
      ],
      ...[1, 0.5, 1000.5, '3'].map((factor): [string, unknown, string, RegExp] => [
        '/api/v1/alerts',
        { ...rule, condition: { op: 'rise', factor, threshold: 10, window_minutes: 5 } },
        'condition.factor',
        /./,
      ]),
    ];
    for (const [url, body, field, message] of cases) {
      const res = await call(ADMIN, 'POST', url, body);
      assert.equal(res.statusCode, 400, `${JSON.stringify(body)}: ${res.body}`);
      assert.equal(res.json().error.field, field, `${JSON.stringify(body)}: ${res.body}`);
      assert.match(res.json().error.message, message, res.body);
      assert.match(res.json().error.code, /^QUERY_/);
    }
    const badId = await call(ADMIN, 'GET', `/api/v1/views/${'x'.repeat(65)}`);
    assert.equal(badId.statusCode, 400, badId.body);
    assert.equal(badId.json().error.field, 'id');
  });

  test('an alert rule is created inactive, listed with its state, replaced in place, and deleted', async () => {
    const res = await call(ADMIN, 'POST', '/api/v1/alerts', rule);
    assert.equal(res.statusCode, 201, res.body);
    const created = AlertRule.parse(res.json());
    assert.deepEqual(created.status, {
      state: 'inactive',
      since: null,
      value: null,
      previous: null,
      evaluated_at: null,
      notified: null,
    });
    assert.deepEqual([created.for_seconds, created.severity, created.enabled], [0, 'warning', true]);
    assert.equal(created.url, '/?q=checkout&from=now-5m&to=now&level=error');
    const listed = AlertRuleList.parse((await call(QUERY, 'GET', '/api/v1/alerts')).json()).rules;
    assert.ok(listed.some((r) => r.id === created.id));
    const put = await call(ADMIN, 'PUT', `/api/v1/alerts/${created.id}`, { ...rule, enabled: false, severity: 'info' });
    assert.equal(put.statusCode, 200, put.body);
    assert.deepEqual([put.json().id, put.json().enabled, put.json().severity], [created.id, false, 'info']);
    const history = await call(QUERY, 'GET', `/api/v1/alerts/${created.id}/history`);
    assert.deepEqual(history.json(), { transitions: [] });
    assert.equal((await call(ADMIN, 'DELETE', `/api/v1/alerts/${created.id}`)).statusCode, 204);
    assert.equal((await call(QUERY, 'GET', `/api/v1/alerts/${created.id}`)).statusCode, 404);
  });

  test('a rise rule keeps its factor, and its link shows its window and the one before', async () => {
    const condition = { op: 'rise', factor: 2.5, threshold: 20, window_minutes: 10 };
    const res = await call(ADMIN, 'POST', '/api/v1/alerts', { ...rule, q: 'pattern:"refund <NUM> failed"', condition });
    assert.equal(res.statusCode, 201, res.body);
    const created = AlertRule.parse(res.json());
    assert.deepEqual(created.condition, condition);
    assert.equal(created.url, '/?q=pattern%3A%22refund+%3CNUM%3E+failed%22&from=now-20m&to=now&level=error');
    const got = AlertRule.parse((await call(QUERY, 'GET', `/api/v1/alerts/${created.id}`)).json());
    assert.deepEqual(got.condition, condition);
    assert.equal((await call(ADMIN, 'DELETE', `/api/v1/alerts/${created.id}`)).statusCode, 204);
  });

  test("changes to views and rules, and refused attempts, are in the tenant's audit trail", async () => {
    const res = await call(ADMIN, 'GET', '/api/v1/logs?from=now-1h&limit=1000&q=service:instant-logs-audit');
    const trail = (res.json().records as Array<{ attributes: Record<string, string> }>).map((r) => r.attributes);
    const seen = new Set(trail.map((a) => `${a['action']} ${a['status']}`));
    for (const entry of [
      'views.create 201',
      'views.update 200',
      'views.delete 204',
      'views.create 403',
      'alerts.create 201',
      'alerts.update 200',
      'alerts.delete 204',
      'alerts.create 400',
    ])
      assert.ok(seen.has(entry), `${entry} is not in the trail: ${[...seen].join(', ')}`);
    assert.ok(trail.some((a) => a['action'] === 'views.delete' && a['route'] === 'DELETE /api/v1/views/:id'));
  });
});

describe('saved views in the embedded mode with auth off', () => {
  test('every call acts for the default tenant with all scopes', async () => {
    const p = await startTestPipeline({ alerting: { evaluate: false } });
    try {
      const json = { 'content-type': 'application/json' };
      const res = await p.app.inject({ method: 'POST', url: '/api/v1/views', headers: json, payload: { name: 'dev' } });
      assert.equal(res.statusCode, 201, res.body);
      assert.equal((await p.app.inject({ url: '/api/v1/views' })).json().views[0].name, 'dev');
    } finally {
      await p.close();
    }
  });
});
