import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeIntent, dedupToken, encodeIntent } from './intent.ts';

test('an encoded intent decodes to the committed offset and the planned end', () => {
  fc.assert(
    fc.property(
      fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
      fc.bigInt({ min: 0n, max: 2n ** 40n }),
      (start, length) => {
        const end = start + length;
        assert.deepEqual(decodeIntent(String(start), encodeIntent(end)), { start, end });
      },
    ),
  );
});

test('metadata that is not an intent is ignored', () => {
  const intent = encodeIntent(7n);
  const cases: [offset: string, metadata: string | null | undefined][] = [
    ['3', null],
    ['3', undefined],
    ['3', ''],
    ['3', 'written by another tool'],
    ['3', intent.replace('v1', 'v2')],
    ['3', `${intent}x`],
    ['3', `${intent} `],
    ['3', `${encodeIntent(-1n)}`],
    ['3', `prefix ${intent}`],
    ['-1', intent], // no committed offset: nothing to replay from
    ['8', intent], // end before start: stale or corrupt
    ['abc', intent],
  ];
  for (const [offset, metadata] of cases)
    assert.equal(decodeIntent(offset, metadata), undefined, `${offset} ${metadata}`);
});

test('an intent of a single message is a range of one', () => {
  assert.deepEqual(decodeIntent('7', encodeIntent(7n)), { start: 7n, end: 7n });
});

test('deduplication tokens name topic, partition and range, and parts below it', () => {
  assert.equal(dedupToken('logs', 2, 10n, 19n), 'logs/2/10-19');
  assert.equal(dedupToken('logs', 2, 10n, 19n, 'o12'), 'logs/2/10-19/o12');
  assert.notEqual(dedupToken('logs', 1, 10n, 19n), dedupToken('logs', 2, 10n, 19n));
  assert.notEqual(dedupToken('logs', 1, 10n, 19n), dedupToken('logs', 1, 10n, 20n));
});
