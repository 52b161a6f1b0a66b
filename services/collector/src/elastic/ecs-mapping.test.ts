import { test } from 'node:test';
import assert from 'node:assert/strict';
import { documentFieldOf, mapEcsDocument } from './ecs-mapping.ts';

const cases: { name: string; doc: Record<string, unknown>; expect: Record<string, unknown> }[] = [
  {
    name: 'core ECS fields map onto timestamp, body, level and service',
    doc: { '@timestamp': '2024-05-01T10:00:00Z', message: 'hi', log: { level: 'warn' }, service: { name: 'api' } },
    expect: {
      timestamp: '2024-05-01T10:00:00Z',
      message: 'hi',
      level: 'warn',
      service: 'api',
      attributes: { 'elasticsearch.index': 'idx' },
      resource: {},
    },
  },
  {
    name: 'dotted keys mean the same as nested objects',
    doc: {
      'log.level': 'error',
      'service.name': 'api',
      'trace.id': 'AB'.repeat(16),
      'span.id': 'cd'.repeat(8),
      message: 'm',
    },
    expect: { level: 'error', service: 'api', trace_id: 'ab'.repeat(16), span_id: 'cd'.repeat(8), message: 'm' },
  },
  {
    name: 'entity field sets become resource attributes, service.name excepted',
    doc: {
      message: 'm',
      service: { name: 'api', version: '2' },
      host: { name: 'h1' },
      'container.id': 'c1',
      kubernetes: { pod: { name: 'p' } },
      'cloud.region': 'eu',
      agent: { type: 'filebeat' },
    },
    expect: {
      service: 'api',
      resource: {
        service: { version: '2' },
        host: { name: 'h1' },
        'container.id': 'c1',
        kubernetes: { pod: { name: 'p' } },
        'cloud.region': 'eu',
        agent: { type: 'filebeat' },
      },
    },
  },
  {
    name: 'everything else, including the rest of log.*, becomes attributes with the index name',
    doc: {
      message: 'm',
      log: { level: 'info', file: { path: '/var/log/a' } },
      user: { id: 7 },
      'http.method': 'GET',
      trace: { id: 'a'.repeat(32), sampled: true },
    },
    expect: {
      attributes: {
        log: { file: { path: '/var/log/a' } },
        user: { id: 7 },
        'http.method': 'GET',
        trace: { sampled: true },
        'elasticsearch.index': 'idx',
      },
    },
  },
  {
    name: 'the index names the service when the document does not',
    doc: { message: 'm' },
    expect: { service: 'idx', level: undefined, timestamp: undefined },
  },
  {
    name: 'a plain service string is taken as the service name',
    doc: { message: 'm', service: 'billing' },
    expect: { service: 'billing' },
  },
  {
    name: 'null fields are dropped and a "__proto__" key stays plain data',
    doc: JSON.parse('{"message":"m","gone":null,"__proto__":{"x":1}}'),
    expect: { attributes: JSON.parse('{"__proto__":{"x":1},"elasticsearch.index":"idx"}') },
  },
];

for (const c of cases) {
  test(c.name, () => {
    const mapped = mapEcsDocument(c.doc, 'idx') as unknown as Record<string, unknown>;
    for (const [field, value] of Object.entries(c.expect)) assert.deepEqual(mapped[field], value, field);
  });
}

test('record-model fields in errors are named as the document spells them', () => {
  const table: [string, string][] = [
    ['timestamp', '@timestamp'],
    ['level', 'log.level'],
    ['service', 'service.name'],
    ['trace_id', 'trace.id'],
    ['attributes.user.id', 'user.id'],
    ['resource.host.name', 'host.name'],
    ['(record)', '_source'],
  ];
  for (const [field, expected] of table) assert.equal(documentFieldOf(field), expected, field);
});
