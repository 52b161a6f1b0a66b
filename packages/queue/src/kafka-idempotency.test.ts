import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DOCUMENT_DIGEST,
  idempotentKeys,
  IDEMPOTENCY_HEADERS,
  keyedMessages,
  readIdempotency,
} from './kafka-idempotency.ts';
import { toLogMessages } from './kafka-messages.ts';

const line = (service: string, body: string) => JSON.stringify({ id: 'x', tenant: 't', service, body });
const data = Buffer.from([line('api', '1'), line('db', '2'), line('web', '3')].join('\n'));
const claim = { key: 'order-17', digest: 'd1g', response: { accepted: 3, rejected: 0, errors: [] } };

test('without an Idempotency-Key every message keeps its tenant/service key and gets no headers', () => {
  const messages = toLogMessages({ tenant: 't', rows: 3, data });
  assert.deepEqual(idempotentKeys({ tenant: 't' }, messages), [{ key: 't/api' }, { key: 't/db' }, { key: 't/web' }]);
});

test('with an Idempotency-Key every message of the request shares one key and is numbered among its parts', () => {
  const messages = toLogMessages({ tenant: 't', rows: 3, data });
  const keyed = idempotentKeys({ tenant: 't', idempotency: claim }, messages);
  assert.deepEqual(new Set(keyed.map((k) => k.key)), new Set(['t/idempotency-key/order-17']));
  assert.deepEqual(
    keyed.map((k) => k.headers),
    ['0/3', '1/3', '2/3'].map((part) => ({
      'idempotency-key': 'order-17',
      'idempotency-digest': 'd1g',
      'idempotency-part': part,
    })),
  );
});

test('the same key of another tenant is keyed apart', () => {
  const messages = toLogMessages({ tenant: 'u', rows: 3, data });
  assert.equal(idempotentKeys({ tenant: 'u', idempotency: claim }, messages)[0]!.key, 'u/idempotency-key/order-17');
});

test('the headers written are read back as they are, from strings or the buffers a consumer gets', () => {
  const [first] = idempotentKeys({ tenant: 't', idempotency: claim }, toLogMessages({ tenant: 't', rows: 3, data }));
  assert.deepEqual(readIdempotency(first!.headers), { key: 'order-17', digest: 'd1g', part: '0/3' });
  const asBuffers = Object.fromEntries(Object.entries(first!.headers!).map(([k, v]) => [k, Buffer.from(v)]));
  assert.deepEqual(readIdempotency(asBuffers), { key: 'order-17', digest: 'd1g', part: '0/3' });
});

test('a message missing any of the three headers carries no idempotency', () => {
  assert.equal(readIdempotency(undefined), undefined);
  assert.equal(readIdempotency({ tenant: 't', rows: '3' }), undefined);
  for (const name of Object.values(IDEMPOTENCY_HEADERS)) {
    const headers: Record<string, string> = {
      'idempotency-key': 'k',
      'idempotency-digest': 'd',
      'idempotency-part': '0/1',
    };
    delete headers[name];
    assert.equal(readIdempotency(headers), undefined, `without ${name}`);
  }
});

test('a named document goes alone, keyed and headed by its document; the other lines as toLogMessages cuts them', () => {
  const lines = [line('api', '1'), line('api', '2'), line('db', '3'), line('api', '4')];
  const chunk = { tenant: 't', rows: 4, data: Buffer.from(lines.join('\n')) };
  const doc = (id: string) => `_id ["web","${id}"]`;
  const messages = keyedMessages({ ...chunk, documentKeys: [doc('a'), null, null, doc('b')] });
  assert.deepEqual(
    messages.map((m) => [m.key, m.rows, m.value.toString(), m.headers]),
    [
      ['t/api', 1, lines[1], undefined],
      ['t/db', 1, lines[2], undefined],
      ...(['a', 'b'] as const).map((id, i) => [
        `t/idempotency-key/${doc(id)}`,
        1,
        lines[i * 3],
        { 'idempotency-key': doc(id), 'idempotency-digest': DOCUMENT_DIGEST, 'idempotency-part': '0/1' },
      ]),
    ],
  );
  assert.deepEqual(readIdempotency(messages[2]!.headers), { key: doc('a'), digest: 'document', part: '0/1' });
  // Every line named: no unnamed message; none named (or no keys): the chunk's messages as they are.
  assert.equal(keyedMessages({ ...chunk, documentKeys: lines.map((_, i) => doc(String(i))) }).length, 4);
  for (const documentKeys of [[null, null, null, null], undefined])
    assert.deepEqual(keyedMessages({ ...chunk, ...(documentKeys ? { documentKeys } : {}) }), toLogMessages(chunk));
});

test("a request's Idempotency-Key keys all its messages, named documents or not", () => {
  const chunk = { tenant: 't', rows: 3, data, idempotency: claim, documentKeys: ['_id ["web","a"]', null, null] };
  const messages = keyedMessages(chunk);
  assert.deepEqual(
    messages.map((m) => [m.key, m.headers?.['idempotency-key']]),
    toLogMessages(chunk).map(() => ['t/idempotency-key/order-17', 'order-17']),
  );
});
