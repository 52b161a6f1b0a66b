import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReplayArgs, selects, toReplayMessage, type DeadLetterRecord } from './select.ts';

const letter = (
  tenant: string,
  error: string,
  value = '{"id":"x","tenant":"a","service":"checkout","body":"hi"}',
): DeadLetterRecord => ({
  value: Buffer.from(value),
  headers: { tenant: Buffer.from(tenant), 'dlq.error': Buffer.from(error), 'dlq.source.offset': '7' },
  partition: 2,
  offset: '41',
});

test('the command line becomes options with a default group per dead-letter topic', () => {
  const parsed = parseReplayArgs([
    '--brokers',
    '127.0.0.1:9092, 127.0.0.1:9093',
    '--from',
    'logs-dlq',
    '--to',
    'logs',
    '--match-error',
    'Constraint `\\w+`',
    '--tenant',
    'acme',
    '--dry-run',
  ]);
  assert.ok('options' in parsed);
  const o = parsed.options;
  assert.deepEqual(
    [o.brokers, o.from, o.to, o.group, o.tenant, o.dryRun],
    [['127.0.0.1:9092', '127.0.0.1:9093'], 'logs-dlq', 'logs', 'instant-logs-replay-logs-dlq', 'acme', true],
  );
  assert.ok(o.matchError?.test('Constraint `body_limit` is violated'));
  const plain = parseReplayArgs(['--brokers', 'b:9092', '--from', 'd', '--to', 'l', '--group', 'g']);
  assert.ok('options' in plain);
  assert.deepEqual(
    [plain.options.group, plain.options.matchError, plain.options.tenant, plain.options.dryRun],
    ['g', undefined, undefined, false],
  );
});

test('a bad command line names every problem', () => {
  const cases: [string[], RegExp[]][] = [
    [[], [/--brokers/, /--from/, /--to/]],
    [['--brokers', 'b:9092', '--from', 'x', '--to', 'x'], [/different/]],
    [['--brokers', 'b:9092', '--from', 'd', '--to', 'l', '--match-error', '(unclosed'], [/--match-error/]],
    [['--brokers', 'b:9092', '--from', 'd', '--to', 'l', '--tenant', ''], [/--tenant/]],
    [['--brokers', 'b:9092', '--from', 'd', '--to', 'l', '--frm', 'x'], [/--frm/]],
  ];
  for (const [argv, wanted] of cases) {
    const parsed = parseReplayArgs(argv);
    assert.ok('problems' in parsed, argv.join(' '));
    for (const w of wanted)
      assert.ok(
        parsed.problems.some((p) => w.test(p)),
        `${argv.join(' ')}: ${parsed.problems.join('; ')}`,
      );
  }
  assert.deepEqual(parseReplayArgs(['--help']), { help: true });
});

test('filters pick by tenant header and by the error text, and together need both', () => {
  const l = letter('acme', 'Constraint `body_limit` for table logs is violated');
  const cases: [{ tenant?: string; matchError?: RegExp }, boolean][] = [
    [{}, true],
    [{ tenant: 'acme' }, true],
    [{ tenant: 'other' }, false],
    [{ matchError: /body_limit/ }, true],
    [{ matchError: /^Cannot parse/ }, false],
    [{ tenant: 'acme', matchError: /body_limit/ }, true],
    [{ tenant: 'other', matchError: /body_limit/ }, false],
  ];
  for (const [filters, want] of cases)
    assert.equal(
      selects({ tenant: filters.tenant, matchError: filters.matchError }, l),
      want,
      JSON.stringify(String(filters.matchError ?? filters.tenant)),
    );
});

test('a replayed message keeps the value byte for byte and is keyed and headed like the collector’s', () => {
  const l = letter('acme', 'e');
  const m = toReplayMessage('logs-dlq', l);
  assert.equal(m.value, l.value);
  assert.equal(m.key, 'acme/checkout');
  assert.deepEqual(m.headers, { tenant: 'acme', rows: '1', 'replay.source': 'logs-dlq/2/41' });
});

test('a value that is not a record still gets a tenant key', () => {
  assert.equal(toReplayMessage('d', letter('acme', 'e', 'this is not json')).key, 'acme/');
});
