import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_MESSAGE_BYTES, toLogMessages } from './kafka-messages.ts';

const line = (service: string, body: string) => JSON.stringify({ id: 'x', tenant: 't', timestamp: 'ts', observed_timestamp: 'ts', service, body });

test('records are grouped into messages keyed by tenant and service, in their original order', () => {
  const data = [line('api', '1'), line('db', '2'), line('api', '3')].join('\n');
  const messages = toLogMessages({ tenant: 't', rows: 3, data });
  assert.deepEqual(
    messages.map((m) => [m.key, m.rows, m.value.split('\n').map((l) => JSON.parse(l).body)]),
    [
      ['t/api', 2, ['1', '3']],
      ['t/db', 1, ['2']],
    ],
  );
});

test('a large group is split so that no message exceeds the size limit and no line is lost', () => {
  const big = 'x'.repeat(100_000);
  const data = Array.from({ length: 25 }, (_, i) => line('api', `${i}${big}`)).join('\n');
  const messages = toLogMessages({ tenant: 't', rows: 25, data });
  assert.ok(messages.length >= 3);
  assert.ok(messages.every((m) => Buffer.byteLength(m.value) <= MAX_MESSAGE_BYTES));
  assert.equal(messages.reduce((n, m) => n + m.rows, 0), 25);
  assert.equal(messages.map((m) => m.value).join('\n'), data);
});

test('service names with escaped quotes still key correctly', () => {
  const messages = toLogMessages({ tenant: 't', rows: 1, data: line('we"ird', 'b') });
  assert.equal(messages[0]?.key, 't/we\\"ird');
});
