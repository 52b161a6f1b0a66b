import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupLinesByService, joinLines, MAX_MESSAGE_BYTES, toLogMessages } from './kafka-messages.ts';

const line = (service: string, body: string) =>
  JSON.stringify({ id: 'x', tenant: 't', timestamp: 'ts', observed_timestamp: 'ts', service, body });

test('records are grouped into messages keyed by tenant and service, in their original order', () => {
  const data = [line('api', '1'), line('db', '2'), line('api', '3')].join('\n');
  const messages = toLogMessages({ tenant: 't', rows: 3, data: Buffer.from(data) });
  assert.deepEqual(
    messages.map((m) => [
      m.key,
      m.rows,
      m.value
        .toString()
        .split('\n')
        .map((l) => JSON.parse(l).body),
    ]),
    [
      ['t/api', 2, ['1', '3']],
      ['t/db', 1, ['2']],
    ],
  );
});

test('a large group is split so that no message exceeds the size limit and no line is lost', () => {
  const big = 'x'.repeat(100_000);
  const data = Array.from({ length: 25 }, (_, i) => line('api', `${i}${big}`)).join('\n');
  const messages = toLogMessages({ tenant: 't', rows: 25, data: Buffer.from(data) });
  assert.ok(messages.length >= 3);
  assert.ok(messages.every((m) => Buffer.byteLength(m.value) <= MAX_MESSAGE_BYTES));
  assert.equal(
    messages.reduce((n, m) => n + m.rows, 0),
    25,
  );
  assert.equal(messages.map((m) => m.value).join('\n'), data);
});

test('the key carries the service as a JSON parser reads it, however the line escapes it', () => {
  const messages = toLogMessages({ tenant: 't', rows: 1, data: Buffer.from(line('we"ird\\name', 'b')) });
  assert.equal(messages[0]?.key, 't/we"ird\\name');
});

test('the key comes from the top-level service, wherever it stands, not from an attribute of that name', () => {
  const data = JSON.stringify({ attributes: { service: 'decoy' }, body: '"service":"decoy"', service: 'api' });
  assert.equal(toLogMessages({ tenant: 't', rows: 1, data: Buffer.from(data) })[0]?.key, 't/api');
});

test('the size limit counts UTF-8 bytes: CJK and emoji text is split under it and packed up to it', () => {
  // 100,000 CJK characters are 100,000 UTF-16 units but 300,000 bytes; an emoji is 2 units and 4 bytes.
  const bodies = ['日志'.repeat(50_000), '🪵'.repeat(50_000), 'é'.repeat(100_000)];
  const lines = Array.from({ length: 24 }, (_, i) => line('api', `${i}${bodies[i % bodies.length]}`));
  const messages = toLogMessages({ tenant: 't', rows: lines.length, data: Buffer.from(lines.join('\n')) });
  assert.ok(
    messages.every((m) => Buffer.byteLength(m.value) <= MAX_MESSAGE_BYTES),
    `sizes ${messages.map((m) => Buffer.byteLength(m.value))}`,
  );
  assert.equal(messages.map((m) => m.value).join('\n'), lines.join('\n'));
  // Each message but the last would have gone over the limit with the next line.
  messages.slice(0, -1).forEach((m, i) => {
    const next = messages[i + 1]!.value.toString().split('\n')[0]!;
    assert.ok(Buffer.byteLength(m.value) + 1 + Buffer.byteLength(next) > MAX_MESSAGE_BYTES);
  });
});

test('a long line is keyed right when its service stands after the first bytes or is cut by them, in any script', () => {
  const late = JSON.stringify({ attributes: { note: 'n'.repeat(2_000) }, service: 'late-api', body: 'b' });
  // The service value straddles byte 512, in the middle of a three-byte character.
  const cut = JSON.stringify({ id: 'x'.repeat(481), service: '支付服务-payments', body: 'b'.repeat(1_000) });
  const data = Buffer.from([late, cut].join('\n'));
  assert.deepEqual(
    toLogMessages({ tenant: 't', rows: 2, data }).map((m) => m.key),
    ['t/late-api', 't/支付服务-payments'],
  );
});

test('lines grouped by service on the way in are cut into the messages a scan of every line would give', () => {
  const services = ['api', 'db', 'Zürich-搜索', 'api', 'big', 'db', 'big', 'big', 'api'];
  const lines = services.map((service, i) => line(service, service === 'big' ? `${i}${'é'.repeat(200_000)}` : `${i}`));
  const { data, runs } = groupLinesByService(lines, services);
  assert.deepEqual(
    runs.map((r) => [r.service, r.rows]),
    [
      ['api', 3],
      ['db', 2],
      ['Zürich-搜索', 1],
      ['big', 3],
    ],
  );
  const cut = toLogMessages({ tenant: 't', rows: lines.length, data, services: runs });
  const scanned = toLogMessages({ tenant: 't', rows: lines.length, data });
  assert.deepEqual(
    cut.map((m) => [m.key, m.rows, m.value.toString()]),
    scanned.map((m) => [m.key, m.rows, m.value.toString()]),
  );
  assert.ok(cut.filter((m) => m.key === 't/big').length >= 2, 'the large run is split under the limit');
  assert.ok(cut.every((m) => m.value.length <= MAX_MESSAGE_BYTES));
  assert.equal(cut[0]!.value.buffer, data.buffer, 'a run that fits is not copied');
});

test("runs that do not end at the data's end are not trusted: the lines are read instead", () => {
  const lines = [line('api', '1'), line('db', '2')];
  const data = Buffer.from(lines.join('\n'));
  for (const services of [
    [{ service: 'api', end: 10, rows: 1 }],
    [{ service: 'api', end: data.length + 5, rows: 2 }],
    [],
  ])
    assert.deepEqual(
      toLogMessages({ tenant: 't', rows: 2, data, services }).map((m) => [m.key, m.rows]),
      [
        ['t/api', 1],
        ['t/db', 1],
      ],
    );
});

test('grouping no lines gives no bytes and no runs; one service gives the lines as they came', () => {
  assert.deepEqual(groupLinesByService([], []), { data: Buffer.alloc(0), runs: [] });
  const lines = [line('api', 'ü1'), line('api', '2')];
  const { data, runs } = groupLinesByService(lines, ['api', 'api']);
  assert.equal(data.toString(), lines.join('\n'));
  assert.deepEqual(runs, [{ service: 'api', end: data.length, rows: 2 }]);
});

test('joined lines keep every newline, also after an empty first line', () => {
  assert.equal(joinLines([Buffer.from(''), Buffer.from('b'), Buffer.from('c')]).toString(), '\nb\nc');
  assert.equal(joinLines([Buffer.from('a'), Buffer.from('b')]).toString(), 'a\nb');
});
