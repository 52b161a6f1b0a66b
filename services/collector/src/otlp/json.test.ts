import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OtlpDecodeError, decodeOtlpLogs } from './decode.ts';

const decode = (body: unknown) =>
  decodeOtlpLogs(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), 'application/json')
    .records as Record<string, unknown>[];

/** A request with one log record under a checkout resource and an app.http scope. */
function withLog(
  log: Record<string, unknown>,
  scope: Record<string, unknown> = { name: 'app.http', version: '1.4.0' },
) {
  return {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
        scopeLogs: [{ scope, logRecords: [log] }],
      },
    ],
  };
}

/** Asserts the body is refused with a 400 that names `field`. */
function refused(body: unknown, field: string, message: RegExp) {
  assert.throws(
    () => decode(body),
    (err: unknown) => {
      assert.ok(err instanceof OtlpDecodeError, String(err));
      assert.equal(err.statusCode, 400);
      assert.equal(err.field, field);
      assert.match(err.message, message);
      return true;
    },
  );
}

test('every LogRecord field lands in the collector input', () => {
  const records = decode(
    withLog({
      timeUnixNano: '1767225600123456789',
      observedTimeUnixNano: '1767225601000000001',
      severityNumber: 17,
      severityText: 'Error',
      body: { stringValue: 'payment failed' },
      attributes: [{ key: 'order.id', value: { intValue: '7' } }],
      droppedAttributesCount: 0,
      flags: 1,
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      eventName: 'payment.failed',
    }),
  );
  assert.deepEqual(records, [
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
      resource: { 'service.name': 'checkout' },
      trace_id: '0af7651916cd43dd8448eb211c80319c',
      span_id: 'b7ad6b7169203331',
    },
  ]);
});

test('int64 as a JSON number beyond 2^53 keeps every digit', () => {
  const text = JSON.stringify(
    withLog({ timeUnixNano: 0, body: { intValue: 1 }, attributes: [{ key: 'n', value: { intValue: 2 } }] }),
  )
    .replace('"timeUnixNano":0', '"timeUnixNano":1767225600123456789')
    .replace('"intValue":1', '"intValue":9007199254740993')
    .replace('"intValue":2', '"intValue":-9223372036854775808');
  const [record] = decode(text);
  assert.equal(record?.timestamp, '1767225600123456789');
  assert.equal(record?.body, '9007199254740993');
  assert.deepEqual(record?.attributes, {
    'otel.scope.name': 'app.http',
    'otel.scope.version': '1.4.0',
    n: '-9223372036854775808',
  });
});

test('nested kvlists, arrays, doubles, bools and bytes become JSON-friendly values', () => {
  const [record] = decode(
    withLog(
      {
        body: {
          kvlistValue: {
            values: [
              { key: 'msg', value: { stringValue: 'hi' } },
              { key: 'n', value: { arrayValue: { values: [{ doubleValue: 2.5 }, { boolValue: false }, {}] } } },
            ],
          },
        },
        attributes: [
          {
            key: 'http',
            value: {
              kvlistValue: {
                values: [
                  {
                    key: 'request',
                    value: { kvlistValue: { values: [{ key: 'method', value: { stringValue: 'GET' } }] } },
                  },
                ],
              },
            },
          },
          { key: 'raw', value: { bytesValue: '3q2-7w' } },
          { key: 'inf', value: { doubleValue: '-Infinity' } },
          { key: 'empty' },
        ],
      },
      {},
    ),
  );
  assert.deepEqual(record?.body, { msg: 'hi', n: [2.5, false, null] });
  assert.deepEqual(record?.attributes, { http: { request: { method: 'GET' } }, raw: '3q2+7w==', inf: -Infinity });
});

test('trace ids are lowercased and all-zero ids left out', () => {
  assert.equal(
    decode(withLog({ body: { stringValue: 'x' }, traceId: '0AF7651916CD43DD8448EB211C80319C' }))[0]?.trace_id,
    '0af7651916cd43dd8448eb211c80319c',
  );
  const [record] = decode(withLog({ body: { stringValue: 'x' }, traceId: '0'.repeat(32), spanId: '' }));
  assert.equal('trace_id' in (record ?? {}), false);
  assert.equal('span_id' in (record ?? {}), false);
});

test('a zero or missing timeUnixNano falls back to the observed time, then to none', () => {
  assert.equal(
    decode(withLog({ timeUnixNano: '0', observedTimeUnixNano: 1767225600000000000, body: { stringValue: 'x' } }))[0]
      ?.timestamp,
    '1767225600000000000',
  );
  const [record] = decode(withLog({ body: { stringValue: 'x' } }));
  assert.equal(record?.timestamp, undefined);
  assert.equal(record?.observed_timestamp, undefined);
});

test('severity enum names and snake_case field names are accepted, as the reference collector does', () => {
  const [record] = decode({
    resource_logs: [
      {
        scope_logs: [
          {
            log_records: [
              {
                severity_number: 'SEVERITY_NUMBER_WARN2',
                severity_text: 'W',
                time_unix_nano: '5',
                body: { string_value: 'x' },
              },
            ],
          },
        ],
      },
    ],
  });
  assert.deepEqual(record, {
    timestamp: '1970-01-01T00:00:00.000000005Z',
    severity_number: 14,
    severity_text: 'W',
    body: 'x',
    attributes: {},
    resource: {},
  });
});

test('an empty request has no records', () => {
  assert.deepEqual(decode({}), []);
  assert.deepEqual(decode({ resourceLogs: [] }), []);
  assert.deepEqual(decode({ resourceLogs: [{ scopeLogs: [{ logRecords: [] }] }] }), []);
  assert.deepEqual(decode('\ufeff{"resourceLogs":null}'), []);
});

test('a body that is not JSON is refused', () => {
  assert.throws(
    () => decode('{"resourceLogs":['),
    (err: unknown) => err instanceof OtlpDecodeError && /^invalid JSON/.test(err.message),
  );
  assert.throws(() => decode(''), OtlpDecodeError);
});

test('wrong JSON types are refused with the path of the field', () => {
  refused([], '(body)', /must be an object/);
  refused({ resourceLogs: {} }, 'resourceLogs', /must be an array/);
  refused(
    { resourceLogs: [{ scopeLogs: [{ logRecords: ['x'] }] }] },
    'resourceLogs[0].scopeLogs[0].logRecords[0]',
    /must be an object/,
  );
  refused(
    withLog({ timeUnixNano: 'soon' }),
    'resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano',
    /unsigned 64-bit integer/,
  );
  refused(withLog({ timeUnixNano: '-1' }), 'resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano', /unsigned/);
  refused(
    withLog({ timeUnixNano: '18446744073709551616' }),
    'resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano',
    /unsigned 64-bit/,
  );
  refused(withLog({ timeUnixNano: 1.5 }), 'resourceLogs[0].scopeLogs[0].logRecords[0].timeUnixNano', /integer/);
  refused(
    withLog({ severityNumber: 'LOUD' }),
    'resourceLogs[0].scopeLogs[0].logRecords[0].severityNumber',
    /SeverityNumber/,
  );
  refused(withLog({ severityText: 3 }), 'resourceLogs[0].scopeLogs[0].logRecords[0].severityText', /must be a string/);
  refused(withLog({ body: 'hello' }), 'resourceLogs[0].scopeLogs[0].logRecords[0].body', /must be an object/);
  refused(
    withLog({ body: { boolValue: 'true' } }),
    'resourceLogs[0].scopeLogs[0].logRecords[0].body.boolValue',
    /true or false/,
  );
  refused(
    withLog({ body: { intValue: '12abc' } }),
    'resourceLogs[0].scopeLogs[0].logRecords[0].body.intValue',
    /64-bit integer/,
  );
  refused(
    withLog({ body: { doubleValue: 'fast' } }),
    'resourceLogs[0].scopeLogs[0].logRecords[0].body.doubleValue',
    /number/,
  );
  refused(
    withLog({ body: { bytesValue: 'not base64!' } }),
    'resourceLogs[0].scopeLogs[0].logRecords[0].body.bytesValue',
    /base64/,
  );
  refused(
    withLog({ body: { stringValue: 'a', intValue: 1 } }),
    'resourceLogs[0].scopeLogs[0].logRecords[0].body',
    /both stringValue and intValue/,
  );
  refused(
    withLog({ attributes: { a: 1 } }),
    'resourceLogs[0].scopeLogs[0].logRecords[0].attributes',
    /must be an array/,
  );
  refused(
    withLog({ attributes: [{ key: 1 }] }),
    'resourceLogs[0].scopeLogs[0].logRecords[0].attributes[0].key',
    /must be a string/,
  );
  refused(withLog({ traceId: 12 }), 'resourceLogs[0].scopeLogs[0].logRecords[0].traceId', /must be a string/);
  refused(
    { resourceLogs: [{ resource: { attributes: [{ key: 'k', value: { arrayValue: { values: 'x' } } }] } }] },
    'resourceLogs[0].resource.attributes[0].value.arrayValue.values',
    /must be an array/,
  );
});

test('AnyValues nested past the limit are refused', () => {
  let value: unknown = { stringValue: 'deep' };
  for (let i = 0; i < 100; i++) value = { arrayValue: { values: [value] } };
  assert.throws(() => decode(withLog({ body: value })), /nested deeper than 64 levels/);
});

test('attribute keys such as __proto__ stay plain data', () => {
  const [record] = decode(
    withLog(
      {
        body: { stringValue: 'x' },
        attributes: [
          { key: '__proto__', value: { kvlistValue: { values: [{ key: 'polluted', value: { boolValue: true } }] } } },
        ],
      },
      {},
    ),
  );
  const attributes = record?.attributes as Record<string, unknown>;
  assert.deepEqual(Object.keys(attributes), ['__proto__']);
  assert.equal(Object.getPrototypeOf(attributes), Object.prototype);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});
