import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { createInProcessQueue, type RecordChunk } from '@instant-logs/queue';
import { LogRecord, parseQueuedLine } from '@instant-logs/schema';
import { parseApiKeys } from '@instant-logs/service-kit';
import { buildApp } from './app.ts';

const chunks: RecordChunk[] = [];
// The real in-process queue; its consumer keeps what was published so the test can count it.
const queue = createInProcessQueue(async (chunk) => void chunks.push(chunk));
// Without keys every request is the default tenant: auth has its own tests, these are about bodies.
const app = buildApp({ queue, keyring: parseApiKeys(''), logger: false });
after(() => app.close());

const encoders: Record<string, (b: Buffer) => Promise<Buffer> | Buffer> = {
  identity: (b) => b,
  gzip: promisify(zlib.gzip),
  zstd: promisify(zlib.zstdCompress),
  deflate: promisify(zlib.deflate),
};
const CONTENT_TYPES = [
  'application/json',
  'application/x-ndjson',
  'text/plain; charset=utf-8',
  'application/x-protobuf',
  'application/octet-stream',
  'multipart/form-data; boundary=x',
  'text/html',
  '',
  'application/json; charset=latin1',
  ';;;',
];
const ENCODINGS = ['identity', 'gzip', 'zstd', 'deflate', 'br', 'GZIP', ' x-gzip ', 'gzip, zstd', '', '\u0000'];

async function post(url: string, payload: Buffer, headers: Record<string, string>) {
  const res = await app.inject({ method: 'POST', url, payload, headers });
  assert.ok(res.statusCode < 500, `${url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
  return res;
}

/** Every refusal on the JSON API is a JSON body carrying a stable code. */
function assertCoded(res: { statusCode: number; body: string; json: () => unknown }): void {
  if (res.statusCode < 400) return;
  const body = res.json() as { error?: { code?: unknown } };
  assert.equal(typeof body.error?.code, 'string', res.body.slice(0, 300));
}

const bytes = fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a));
const jsonText = fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }).map((v) => Buffer.from(JSON.stringify(v)));
const headerPair = fc.record({ type: fc.constantFrom(...CONTENT_TYPES), encoding: fc.constantFrom(...ENCODINGS) });

test('random bytes and JSON under any content type and encoding never get a 5xx on /api/v1/logs', async () => {
  await fc.assert(
    fc.asyncProperty(fc.oneof(bytes, jsonText), headerPair, fc.boolean(), async (body, { type, encoding }, encode) => {
      const enc = encoders[encoding.trim().toLowerCase()];
      const payload = encode && enc ? await enc(body) : body;
      assertCoded(await post('/api/v1/logs', payload, { 'content-type': type, 'content-encoding': encoding }));
    }),
    { numRuns: 300 },
  );
});

test('random bytes on the OTLP route never get a 5xx', async () => {
  const type = fc.constantFrom('application/x-protobuf', 'application/json', 'text/plain');
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(bytes, jsonText),
      type,
      fc.constantFrom('identity', 'gzip'),
      async (body, contentType, encoding) => {
        await post('/v1/logs', await encoders[encoding]!(body), {
          'content-type': contentType,
          'content-encoding': encoding,
        });
      },
    ),
    { numRuns: 200 },
  );
});

// A good line is a record the collector must keep; a bad one is broken JSON or a record it must refuse.
const goodLine = fc
  .record({
    message: fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
    n: fc.integer(),
    key: fc.constantFrom('__proto__', 'constructor', 'a', "' OR 1=1 --"),
  })
  .map(({ message, n, key }) => JSON.stringify({ service: 'fuzz', message, attributes: { [key]: n } }));
const badLine = fc.oneof(
  fc
    .string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 })
    .filter((s) => !s.includes('\n') && s.trim() !== '' && !isJson(s)),
  fc.constantFrom(
    '{"service":"fuzz"}',
    '{"message":"no service"}',
    '[1,2]',
    '"text"',
    'null',
    '{"service":"s","message":"m","timestamp":1e400}',
    '{"service":"s","message":"m","trace_id":"xyz"}',
    '{"service":"s","message":"m","timestamp":"9999-12-31T23:59:59Z"}',
  ),
);
const mixed = fc.array(
  fc.oneof(
    goodLine.map((l) => ({ good: true, l })),
    badLine.map((l) => ({ good: false, l })),
  ),
  { minLength: 1, maxLength: 20 },
);

function isJson(s: string): boolean {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
}

test('every good line of a mixed NDJSON body is accepted and published, and every bad one is reported', async () => {
  await fc.assert(
    fc.asyncProperty(
      mixed,
      fc.constantFrom('identity', 'gzip', 'zstd'),
      fc.constantFrom('\n', '\r\n'),
      async (lines, encoding, eol) => {
        const good = lines.filter((x) => x.good).length;
        const before = chunks.length;
        const body = Buffer.from(lines.map((x) => x.l).join(eol));
        const res = await post('/api/v1/logs', await encoders[encoding]!(body), {
          'content-type': 'application/x-ndjson',
          'content-encoding': encoding,
        });
        assertCoded(res);
        if (good === 0) {
          assert.equal(res.statusCode, 400, res.body);
          assert.equal(chunks.length, before);
          return;
        }
        assert.equal(res.statusCode, 202, res.body);
        const answer = res.json() as { accepted: number; rejected: number };
        assert.deepEqual(
          { accepted: answer.accepted, rejected: answer.rejected },
          { accepted: good, rejected: lines.length - good },
        );
        const fresh = chunks.slice(before);
        const published = fresh.flatMap((c) =>
          c.data
            .toString()
            .split('\n')
            .map((row) => ({ tenant: c.tenant, record: LogRecord.parse(parseQueuedLine(row)) })),
        );
        assert.equal(published.length, good);
        assert.ok(published.every(({ tenant, record }) => record.tenant === tenant && record.service === 'fuzz'));
      },
    ),
    { numRuns: 200 },
  );
});
