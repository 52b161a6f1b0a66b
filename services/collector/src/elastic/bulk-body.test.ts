import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBulkBody } from './bulk-body.ts';

const ndjson = (...lines: unknown[]) =>
  lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';

test('index and create pairs become documents with their index and id', () => {
  const entries = parseBulkBody(
    ndjson({ index: { _index: 'a', _id: 'x1' } }, { message: 'one' }, { create: {} }, { message: 'two' }),
    'fallback',
  );
  assert.deepEqual(entries, [
    { action: 'index', line: 1, index: 'a', id: 'x1', doc: { message: 'one' } },
    { action: 'create', line: 3, index: 'fallback', doc: { message: 'two' } },
  ]);
});

test('blank lines between and around operations are skipped', () => {
  const entries = parseBulkBody(
    `\n${JSON.stringify({ index: {} })}\n\n  \n${JSON.stringify({ message: 'm' })}\n\n`,
    'i',
  );
  assert.equal(entries.length, 1);
  assert.deepEqual(entries[0]!.doc, { message: 'm' });
});

test('a body without a final newline still yields its last document', () => {
  const entries = parseBulkBody(`${JSON.stringify({ index: {} })}\n${JSON.stringify({ message: 'last' })}`, 'i');
  assert.deepEqual(entries[0]!.doc, { message: 'last' });
});

test('an index action without its document line at the end is that item error', () => {
  const entries = parseBulkBody(ndjson({ index: {} }, { message: 'ok' }, { index: { _id: 'lost' } }), 'i');
  assert.equal(entries.length, 2);
  assert.deepEqual(entries[0]!.doc, { message: 'ok' });
  assert.equal(entries[1]!.id, 'lost');
  assert.equal(entries[1]!.error?.type, 'action_request_validation_exception');
  assert.match(entries[1]!.error!.reason, /line 3 has no document line/);
});

test('an unknown action type is an error and its document line is skipped', () => {
  const entries = parseBulkBody(ndjson({ upsert: {} }, { message: 'x' }, { index: {} }, { message: 'kept' }), 'i');
  assert.equal(entries.length, 2);
  assert.equal(entries[0]!.error?.type, 'illegal_argument_exception');
  assert.match(entries[0]!.error!.reason, /expected one of \[create, delete, index, update\] but found \[upsert\]/);
  assert.deepEqual(entries[1]!.doc, { message: 'kept' });
});

test('an action line that is not JSON is an x_content_parse_exception and the next action still counts', () => {
  const entries = parseBulkBody(ndjson('{"index": {', { index: {} }, { message: 'kept' }), 'i');
  assert.equal(entries.length, 2);
  assert.equal(entries[0]!.error?.type, 'x_content_parse_exception');
  assert.deepEqual(entries[1]!.doc, { message: 'kept' });
});

test('a document line that is not JSON or not an object is a document_parsing_exception', () => {
  const entries = parseBulkBody(
    ndjson({ index: {} }, '{"message": oops}', { index: {} }, '[1,2]', { index: {} }, { message: 'ok' }),
    'i',
  );
  assert.deepEqual(
    entries.map((e) => e.error?.type),
    ['document_parsing_exception', 'document_parsing_exception', undefined],
  );
});

test('delete has no document line and update consumes one, both refused as append-only', () => {
  const entries = parseBulkBody(
    ndjson({ delete: { _id: 'd' } }, { update: { _id: 'u' } }, { doc: { a: 1 } }, { index: {} }, { message: 'ok' }),
    'i',
  );
  assert.deepEqual(
    entries.map((e) => e.action),
    ['delete', 'update', 'index'],
  );
  assert.match(entries[0]!.error!.reason, /append-only: the delete action/);
  assert.match(entries[1]!.error!.reason, /append-only: the update action/);
  assert.equal(entries[0]!.error!.type, 'illegal_argument_exception');
  assert.deepEqual(entries[2]!.doc, { message: 'ok' });
});

test('an operation with no index in the action or the path is refused and its document skipped', () => {
  const entries = parseBulkBody(
    ndjson({ index: {} }, { message: 'nowhere' }, { index: { _index: 'x' } }, { message: 'ok' }),
  );
  assert.match(entries[0]!.error!.reason, /index is missing/);
  assert.equal(entries[1]!.index, 'x');
  assert.deepEqual(entries[1]!.doc, { message: 'ok' });
});

test('an empty body has no operations', () => {
  assert.deepEqual(parseBulkBody('\n \n'), []);
});

test('an _id over 512 bytes or an index name over 255 is refused as Elasticsearch refuses it; at the limit both pass', () => {
  const cjk = '日'.repeat(171); // 513 bytes in UTF-8, 171 UTF-16 code units
  const entries = parseBulkBody(
    ndjson(
      { index: { _index: 'a', _id: 'x'.repeat(512) } },
      { message: 'at the limit' },
      { index: { _index: 'a', _id: cjk } },
      { message: 'counted in bytes' },
      { index: { _index: 'i'.repeat(256) } },
      { message: 'long index' },
      { index: { _index: 'i'.repeat(255), _id: 'ok' } },
      { message: 'index at the limit' },
    ),
  );
  assert.deepEqual(
    entries.map((e) => e.error?.type),
    [undefined, 'action_request_validation_exception', 'action_request_validation_exception', undefined],
  );
  assert.match(entries[1]!.error!.reason, /id on line 3 is too long, must be no longer than 512 bytes but was: 513/);
  assert.match(entries[2]!.error!.reason, /\[_index\] on line 5 is too long \(256 > 255\)/);
});
