import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeRecord } from '@instant-logs/schema';
import { detectFormat, parseSyslogLine } from './parse.ts';

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const parse = (line: string, utcOffsetMinutes = 0) => {
  const parsed = parseSyslogLine(line, { nowMs: NOW, utcOffsetMinutes });
  assert.ok(parsed, `${JSON.stringify(line)} was read as no message`);
  return parsed;
};

test('a line of nothing but whitespace, newlines or NULs is no message', () => {
  for (const line of ['', ' ', '\n', '\u0000', '\r\n\u0000', ' \t\u0000'])
    assert.equal(parseSyslogLine(line, { nowMs: NOW }), undefined, JSON.stringify(line));
});
const normalize = (line: string) => {
  const result = normalizeRecord(parse(line).record, {
    tenant: 't',
    receivedNs: BigInt(NOW) * 1_000_000n,
    newId: () => 'id',
  });
  assert.ok(result.ok, JSON.stringify(result));
  return result.record;
};

test('an RFC 5424 message maps every header field onto the record', () => {
  const { format, record } = parse(
    '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 8710 ID47 [exampleSDID@32473 iut="3" eventSource="Application"] An application event',
  );
  assert.equal(format, 'rfc5424');
  assert.deepEqual(record, {
    service: 'evntslog',
    severity_text: 'notice',
    message: 'An application event',
    timestamp: '2003-10-11T22:14:15.003Z',
    resource: { 'host.name': 'mymachine.example.com' },
    attributes: {
      'syslog.facility': 'local4',
      'process.pid': '8710',
      'syslog.msgid': 'ID47',
      'exampleSDID@32473.iut': '3',
      'exampleSDID@32473.eventSource': 'Application',
    },
  });
});

test('RFC 5424 nil values leave their fields out and the service falls back to "syslog"', () => {
  const { record } = parse('<34>1 - - - - - - hello');
  assert.equal(record.service, 'syslog');
  assert.equal(record.timestamp, undefined);
  assert.deepEqual(record.resource, {});
  assert.deepEqual(record.attributes, { 'syslog.facility': 'auth' });
  assert.equal(record.message, 'hello');
});

test('RFC 5424 parameter values unescape \\] \\" and \\\\ and keep other backslashes', () => {
  const { record } = parse(String.raw`<14>1 - h a - - [x@1 v="a\]b\"c\\d\n"][y@1 w=""] m`);
  const attributes = record.attributes as Record<string, string>;
  assert.equal(attributes['x@1.v'], 'a]b"c\\d\\n');
  assert.equal(attributes['y@1.w'], '');
});

test('a BOM before an RFC 5424 MSG is removed', () => {
  assert.equal(parse('<14>1 - h a - - - \uFEFFgrüße').record.message, 'grüße');
});

test('an RFC 5424 message without MSG keeps the whole line as the body', () => {
  const line = '<14>1 2026-01-01T00:00:00Z h a - - [x@1 k="v"]';
  assert.equal(parse(line).record.message, line);
});

test('syslog severities map onto levels with the syslog name as severity text', () => {
  const cases: Array<[number, string, string]> = [
    [0, 'emerg', 'fatal'],
    [1, 'alert', 'fatal'],
    [2, 'crit', 'fatal'],
    [3, 'err', 'error'],
    [4, 'warning', 'warn'],
    [5, 'notice', 'info'],
    [6, 'info', 'info'],
    [7, 'debug', 'debug'],
  ];
  for (const [severity, text, level] of cases) {
    const record = normalize(`<${8 + severity}>1 - h app - - - m`);
    assert.deepEqual([record.severity_text, record.level], [text, level], `severity ${severity}`);
  }
});

test('an RFC 3164 line yields host, tag, pid and a timestamp in the current year', () => {
  const { format, record } = parse('<11>Nov 23 10:15:02 web-1 checkout[4242]: payment failed');
  assert.equal(format, 'rfc3164');
  assert.equal(record.timestamp, '2026-11-23T10:15:02.000Z');
  assert.equal(record.service, 'checkout');
  assert.equal(record.severity_text, 'err');
  assert.equal(record.message, 'payment failed');
  assert.deepEqual(record.resource, { 'host.name': 'web-1' });
  assert.deepEqual(record.attributes, { 'syslog.facility': 'user', 'process.pid': '4242' });
});

test('an RFC 3164 timestamp more than a day ahead belongs to last year', () => {
  assert.equal(parse('<13>Dec 31 23:00:00 h app: m').record.timestamp, '2025-12-31T23:00:00.000Z');
  assert.equal(parse('<13>Nov 24 11:00:00 h app: m').record.timestamp, '2026-11-24T11:00:00.000Z');
});

test('an RFC 3164 timestamp is read in the configured zone', () => {
  assert.equal(parse('<13>Nov  3 10:00:00 h app: m', 60).record.timestamp, '2026-11-03T09:00:00.000Z');
});

test('an RFC 3164 line without PRI is user.notice', () => {
  const record = normalize('Nov 23 10:00:00 host cron[1]: job ran');
  assert.deepEqual(
    [record.service, record.level, record.severity_text, record.attributes['syslog.facility']],
    ['cron', 'info', 'notice', 'user'],
  );
});

test('RFC 3164 lines with parts missing keep what they have', () => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['<13>Nov 23 10:00:00 sshd[99]: no host', { service: 'sshd', message: 'no host', resource: {} }],
    [
      '<13>Nov 23 10:00:00 host just text',
      { service: 'syslog', message: 'just text', resource: { 'host.name': 'host' } },
    ],
    ['<13>kernel: no timestamp', { service: 'kernel', message: 'no timestamp', timestamp: undefined }],
    [
      '<13>2026-11-23T10:00:00.123456+02:00 host app: iso stamp',
      { timestamp: '2026-11-23T10:00:00.123456+02:00', service: 'app' },
    ],
  ];
  for (const [line, expected] of cases) {
    const { format, record } = parse(line);
    assert.equal(format, 'rfc3164', line);
    for (const [key, value] of Object.entries(expected)) assert.deepEqual(record[key], value, `${line}: ${key}`);
  }
});

test('a line that follows no grammar is kept whole as a "syslog" record', () => {
  for (const line of [
    'plain words',
    '<999>bad pri',
    '<13>1 not-a-time h a - - - m',
    '<13>1 - h a - - [unterminated x="1" m',
  ]) {
    const { format, record } = parse(line);
    assert.equal(format, 'raw', line);
    assert.equal(record.service, 'syslog');
    assert.equal(record.message, line);
  }
  assert.equal(parse('<11>1 broken').record.severity_text, 'err', 'a readable PRI keeps its severity');
});

test('every parsed line, even garbage, is a valid record', () => {
  for (const line of ['\u0000\u0001', '<', '<13>', '   x', '<191>1 - - - - - -', '<13>Feb 30 99:99:99 h a: m'])
    normalize(line);
});

test('format detection looks only at how the line starts', () => {
  assert.equal(detectFormat('<13>1 2026-01-01T00:00:00Z h a p m - x'), 'rfc5424');
  assert.equal(detectFormat('<13>Jan  1 00:00:00 h a: x'), 'rfc3164');
  assert.equal(detectFormat('Jan 1 00:00:00 h a: x'), 'rfc3164');
  assert.equal(detectFormat('hello'), 'raw');
});
