import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { normalizeRecord } from '@instant-logs/schema';
import { OtlpDecodeError, decodeOtlpLogs } from './decode.ts';
import { WireWriter } from './wire.ts';

// Hand-built ExportLogsServiceRequests, field numbers as in opentelemetry-proto.
type Build = (w: WireWriter) => void;
const str =
  (s: string): Build =>
  (w) =>
    w.string(1, s);
const bool =
  (b: boolean): Build =>
  (w) =>
    w.varint(2, b);
const int =
  (n: bigint | number): Build =>
  (w) =>
    w.varint(3, n);
const dbl =
  (n: number): Build =>
  (w) =>
    w.double(4, n);
const arr =
  (...items: Build[]): Build =>
  (w) =>
    w.message(5, (a) => items.forEach((item) => a.message(1, item)));
const kvlist =
  (entries: Record<string, Build>): Build =>
  (w) =>
    w.message(6, (l) => keyValues(l, 1, entries));
const bin =
  (b: Uint8Array): Build =>
  (w) =>
    w.bytes(7, b);

function keyValues(w: WireWriter, field: number, entries: Record<string, Build>): void {
  for (const [key, value] of Object.entries(entries)) w.message(field, (kv) => kv.string(1, key).message(2, value));
}

interface Log {
  time?: bigint;
  observed?: bigint;
  severity?: number;
  text?: string;
  body?: Build;
  attrs?: Record<string, Build>;
  traceId?: string;
  spanId?: string;
  event?: string;
  extra?: Build;
}

const logRecord =
  (l: Log): Build =>
  (w) => {
    if (l.time !== undefined) w.fixed64(1, l.time);
    if (l.severity !== undefined) w.varint(2, l.severity);
    if (l.text !== undefined) w.string(3, l.text);
    if (l.body) w.message(5, l.body);
    keyValues(w, 6, l.attrs ?? {});
    if (l.traceId !== undefined) w.bytes(9, Buffer.from(l.traceId, 'hex'));
    if (l.spanId !== undefined) w.bytes(10, Buffer.from(l.spanId, 'hex'));
    if (l.observed !== undefined) w.fixed64(11, l.observed);
    if (l.event !== undefined) w.string(12, l.event);
    l.extra?.(w);
  };

interface Scope {
  name?: string;
  version?: string;
  logs: Log[];
}

function request(resources: Array<{ attrs: Record<string, Build>; scopes: Scope[] }>): Buffer {
  const w = new WireWriter();
  for (const res of resources) {
    w.message(1, (rl) => {
      rl.message(1, (r) => keyValues(r, 1, res.attrs));
      for (const scope of res.scopes) {
        rl.message(2, (sl) => {
          sl.message(1, (s) => (scope.name && s.string(1, scope.name), scope.version && s.string(2, scope.version)));
          for (const log of scope.logs) sl.message(2, logRecord(log));
        });
      }
    });
  }
  return w.finish();
}

const decode = (body: Uint8Array) =>
  decodeOtlpLogs(Buffer.from(body), 'application/x-protobuf').records as Record<string, unknown>[];
const one = (log: Log, attrs: Record<string, Build> = { 'service.name': str('checkout') }) =>
  decode(request([{ attrs, scopes: [{ logs: [log] }] }]))[0];
const ctx = { tenant: 't1', receivedNs: 1_000_000_000_000_000_000n, newId: () => 'id-1' };

test('every LogRecord field lands in the collector input', () => {
  const body = request([
    {
      attrs: { 'service.name': str('checkout'), 'host.name': str('web-1') },
      scopes: [
        {
          name: 'app.http',
          version: '1.4.0',
          logs: [
            {
              time: 1_767_225_600_123_456_789n,
              observed: 1_767_225_601_000_000_001n,
              severity: 17,
              text: 'Error',
              body: str('payment failed'),
              attrs: { 'order.id': int(7) },
              traceId: '0af7651916cd43dd8448eb211c80319c',
              spanId: 'b7ad6b7169203331',
              event: 'payment.failed',
            },
          ],
        },
      ],
    },
  ]);
  assert.deepEqual(decode(body), [
    {
      timestamp: '1767225600123456789',
      observed_timestamp: '1767225601000000001',
      severity_number: 17,
      severity_text: 'Error',
      body: 'payment failed',
      attributes: {
        'otel.scope.name': 'app.http',
        'otel.scope.version': '1.4.0',
        'order.id': 7,
        'event.name': 'payment.failed',
      },
      resource: { 'service.name': 'checkout', 'host.name': 'web-1' },
      trace_id: '0af7651916cd43dd8448eb211c80319c',
      span_id: 'b7ad6b7169203331',
    },
  ]);
});

test('nested kvlists and arrays become objects that normalizeRecord flattens to dotted keys', () => {
  const raw = one({
    body: kvlist({ msg: str('hi'), n: arr(int(1), dbl(2.5), bool(false)) }),
    attrs: {
      http: kvlist({ request: kvlist({ method: str('GET') }), status: int(200) }),
      tags: arr(str('a'), kvlist({ k: str('v') }), () => {}),
    },
  });
  assert.deepEqual(raw?.body, { msg: 'hi', n: [1, 2.5, false] });
  assert.deepEqual(raw?.attributes, {
    http: { request: { method: 'GET' }, status: 200 },
    tags: ['a', { k: 'v' }, null],
  });
  const result = normalizeRecord(raw, ctx);
  assert.ok(result.ok);
  assert.equal(result.record.body, '{"msg":"hi","n":[1,2.5,false]}');
  assert.deepEqual(result.record.attributes, {
    'http.request.method': 'GET',
    'http.status': '200',
    tags: '["a",{"k":"v"},null]',
  });
  assert.equal(result.record.service, 'checkout');
});

test('int64 values beyond 2^53 keep every digit as decimal text', () => {
  const raw = one({
    body: int(2n ** 53n + 1n),
    attrs: { max: int(2n ** 63n - 1n), min: int(-(2n ** 63n)), small: int(-42) },
  });
  assert.equal(raw?.body, '9007199254740993');
  assert.deepEqual(raw?.attributes, { max: '9223372036854775807', min: '-9223372036854775808', small: -42 });
  const result = normalizeRecord(raw, ctx);
  assert.ok(result.ok);
  assert.equal(result.record.attributes.max, '9223372036854775807');
});

test('bytes values become base64 text', () => {
  const raw = one({
    body: bin(Uint8Array.from([0xde, 0xad, 0xbe, 0xef])),
    attrs: { key: bin(Uint8Array.from([0xff, 0xfe])) },
  });
  assert.equal(raw?.body, '3q2+7w==');
  assert.deepEqual(raw?.attributes, { key: '//4=' });
});

test('a zero time_unix_nano falls back to the observed time', () => {
  const raw = one({ time: 0n, observed: 1_767_225_600_000_000_042n, body: str('x') });
  assert.equal(raw?.timestamp, '1767225600000000042');
  assert.equal(raw?.observed_timestamp, '1767225600000000042');
});

test('nanosecond times before 1973 travel as RFC 3339, which the collector cannot mistake for milliseconds', () => {
  const raw = one({ time: 5n, observed: 99_999_999_999_999_999n, body: str('x') });
  assert.equal(raw?.timestamp, '1970-01-01T00:00:00.000000005Z');
  assert.equal(raw?.observed_timestamp, '1973-03-03T09:46:39.999999999Z');
  const result = normalizeRecord(raw, ctx);
  assert.ok(result.ok);
  assert.equal(result.record.timestamp, '1970-01-01T00:00:00.000000005Z');
  assert.equal(result.record.observed_timestamp, '1973-03-03T09:46:39.999999999Z');
  assert.equal(one({ time: 100_000_000_000_000_000n, body: str('x') })?.timestamp, '100000000000000000');
});

test('without either time the record gets the receive time', () => {
  const raw = one({ body: str('x') });
  assert.equal(raw?.timestamp, undefined);
  assert.equal(raw?.observed_timestamp, undefined);
  const result = normalizeRecord(raw, ctx);
  assert.ok(result.ok);
  assert.equal(result.record.timestamp, '2001-09-09T01:46:40.000000000Z');
});

test('unset severity, all-zero ids and empty strings are left out', () => {
  const raw = one({
    severity: 0,
    text: '',
    body: str('x'),
    traceId: '0'.repeat(32),
    spanId: '0'.repeat(16),
    event: '',
  });
  assert.deepEqual(raw, { body: 'x', attributes: {}, resource: { 'service.name': 'checkout' } });
});

test('an empty body and empty messages are an empty request', () => {
  assert.deepEqual(decode(Buffer.alloc(0)), []);
  assert.deepEqual(decode(request([{ attrs: {}, scopes: [] }])), []);
  assert.deepEqual(decode(request([{ attrs: {}, scopes: [{ logs: [] }] }])), []);
});

test('fields are read in any order and unknown fields are skipped', () => {
  const unknown: Build = (w) => w.varint(99, 1).fixed64(98, 2n).string(97, 'x').fixed32(96, 3);
  const w = new WireWriter().message(1, (rl) => {
    rl.message(2, (sl) => {
      sl.message(
        2,
        logRecord({ body: str('late resource'), extra: (l) => (unknown(l), l.fixed32(8, 1).varint(7, 3)) }),
      );
      sl.message(1, (s) => (s.string(1, 'scope-after-logs'), unknown(s)));
      unknown(sl);
    });
    rl.string(3, 'https://opentelemetry.io/schemas/1.26.0');
    rl.message(1, (r) => (keyValues(r, 1, { 'service.name': str('svc') }), r.varint(2, 0), unknown(r)));
  });
  unknown(w);
  assert.deepEqual(decode(w.finish()), [
    {
      body: 'late resource',
      attributes: { 'otel.scope.name': 'scope-after-logs' },
      resource: { 'service.name': 'svc' },
    },
  ]);
});

test('records keep the resource and scope they were sent under', () => {
  const records = decode(
    request([
      {
        attrs: { 'service.name': str('a') },
        scopes: [
          { name: 's1', logs: [{ body: str('1') }, { body: str('2') }] },
          { name: 's2', logs: [{ body: str('3') }] },
        ],
      },
      { attrs: { 'service.name': str('b') }, scopes: [{ name: 's3', logs: [{ body: str('4') }] }] },
    ]),
  );
  assert.deepEqual(
    records.map((r) => [
      r.body,
      (r.resource as Record<string, string>)['service.name'],
      (r.attributes as Record<string, string>)['otel.scope.name'],
    ]),
    [
      ['1', 'a', 's1'],
      ['2', 'a', 's1'],
      ['3', 'a', 's2'],
      ['4', 'b', 's3'],
    ],
  );
});

test('a request cut short at any byte is refused with OtlpDecodeError', () => {
  const full = request([
    {
      attrs: { 'service.name': str('svc') },
      scopes: [{ name: 's', logs: [{ time: 1n, body: str('hello'), attrs: { n: int(-1) } }] }],
    },
  ]);
  assert.equal(decode(full).length, 1);
  for (let cut = 1; cut < full.length; cut++) {
    assert.throws(() => decode(full.subarray(0, cut)), OtlpDecodeError, `cut at ${cut}`);
  }
});

test('a LogRecord field with the wrong wire type is refused by name', () => {
  const cases: Array<[Build, string]> = [
    [(w) => w.varint(1, 5), 'LogRecord.time_unix_nano'],
    [(w) => w.varint(5, 1), 'LogRecord.body'],
    [(w) => w.fixed64(9, 1n), 'LogRecord.trace_id'],
    [(w) => w.message(6, (kv) => kv.varint(1, 3)), 'KeyValue.key'],
  ];
  for (const [field, name] of cases) {
    const body = new WireWriter().message(1, (rl) => rl.message(2, (sl) => sl.message(2, field))).finish();
    assert.throws(
      () => decode(body),
      (err: unknown) => err instanceof OtlpDecodeError && err.field === name,
      name,
    );
  }
});

test('AnyValues nested past the limit are refused instead of exhausting the stack', () => {
  let value: Build = str('deep');
  for (let i = 0; i < 100; i++) value = arr(value);
  assert.throws(() => one({ body: value }), /nested deeper than 64 levels/);
});

test('garbage and corrupted requests only ever fail with OtlpDecodeError', () => {
  const valid = request([
    {
      attrs: { 'service.name': str('svc') },
      scopes: [{ name: 's', logs: [{ time: 5n, body: kvlist({ a: arr(int(1)) }) }] }],
    },
  ]);
  const onlyDecodeErrors = (body: Uint8Array) => {
    try {
      decode(body);
    } catch (err) {
      if (!(err instanceof OtlpDecodeError)) throw err;
    }
  };
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), onlyDecodeErrors));
  fc.assert(
    fc.property(fc.integer({ min: 0, max: valid.length - 1 }), fc.integer({ min: 0, max: 255 }), (at, byte) => {
      const copy = Buffer.from(valid);
      copy[at] = byte;
      onlyDecodeErrors(copy);
    }),
  );
});
