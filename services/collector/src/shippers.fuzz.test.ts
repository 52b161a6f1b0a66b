import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compressSync } from 'snappy';
import { createInProcessQueue, type RecordChunk } from '@instant-logs/queue';
import { normalizeRecord } from '@instant-logs/schema';
import { parseApiKeys } from '@instant-logs/service-kit';
import { buildApp } from './app.ts';
import { createFrameSplitter } from './syslog/framing.ts';
import { parseSyslogLine } from './syslog/parse.ts';

// The shipper protocols' parsers under hostile input, through the real collector app and its
// in-process queue: a 4xx or a stored record, never a 5xx, and never a record of a bad item.
const chunks: RecordChunk[] = [];
const queue = createInProcessQueue(async (chunk) => void chunks.push(chunk));
const app = buildApp({ queue, keyring: parseApiKeys(''), logger: false });
after(() => app.close());

async function post(url: string, payload: Buffer, headers: Record<string, string>) {
  const res = await app.inject({ method: 'POST', url, payload, headers });
  assert.ok(res.statusCode < 500, `${url} answered ${res.statusCode}: ${res.body.slice(0, 300)}`);
  return res;
}

const bytes = fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a));
const json = fc.jsonValue({ maxDepth: 4, stringUnit: 'binary' });
const hostileKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  '@timestamp',
  'message',
  'log.level',
  'service.name',
  '',
  'a.b.c',
);
const doc = fc.dictionary(fc.oneof(hostileKey, fc.string({ maxLength: 12 })), json, { maxKeys: 6 });
const action = fc.oneof(
  fc.record({ index: fc.record({ _index: fc.string({ maxLength: 10 }) }, { requiredKeys: [] }) }),
  fc.record({ create: fc.constant({}) }),
  fc.record({ delete: fc.record({ _id: fc.string() }) }),
  json,
);

test('Elasticsearch bulk bodies of random actions, documents and bytes never get a 5xx, and items stay in request order', async () => {
  const line = fc.oneof(
    { weight: 4, arbitrary: fc.oneof(action, doc).map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  );
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        fc.array(line, { maxLength: 12 }).map((lines) => Buffer.from(lines.join('\n'))),
        bytes,
      ),
      async (body) => {
        const res = await post('/_bulk', body, { 'content-type': 'application/x-ndjson' });
        if (res.statusCode !== 200) return;
        const answer = res.json() as { errors: boolean; items: Record<string, { status: number }>[] };
        assert.equal(
          answer.errors,
          answer.items.some((item) => Object.values(item)[0]!.status >= 400),
        );
      },
    ),
    { numRuns: 200 },
  );
});

test('Loki pushes of random JSON, random bytes and corrupt snappy never get a 5xx', async () => {
  const labels = fc.dictionary(
    fc.oneof(fc.constantFrom('service_name', 'level', '__proto__', '1bad', 'a.b'), fc.string({ maxLength: 8 })),
    fc.oneof(fc.string({ maxLength: 8 }), json),
    { maxKeys: 4 },
  );
  const entry = fc.tuple(
    fc.oneof(fc.bigInt({ min: -10n, max: 2n ** 70n }).map(String), fc.string({ maxLength: 22 }), json),
    fc.oneof(fc.string({ maxLength: 40 }), json),
  );
  const push = fc.record({
    streams: fc.array(fc.record({ stream: labels, values: fc.array(entry, { maxLength: 4 }) }), { maxLength: 3 }),
  });
  await fc.assert(
    fc.asyncProperty(
      fc.oneof(
        push.map((p) => Buffer.from(JSON.stringify(p))),
        json.map((v) => Buffer.from(JSON.stringify(v))),
        bytes,
      ),
      async (body) => {
        await post('/loki/api/v1/push', body, { 'content-type': 'application/json' });
      },
    ),
    { numRuns: 200 },
  );
  await fc.assert(
    fc.asyncProperty(bytes, fc.boolean(), async (raw, compress) => {
      // Valid snappy around random protobuf bytes, or random bytes that are not snappy at all.
      await post('/loki/api/v1/push', compress ? compressSync(raw) : raw, { 'content-type': 'application/x-protobuf' });
    }),
    { numRuns: 200 },
  );
});

test('syslog lines of any text become records the schema accepts (senders cannot be told of errors), and framing any chunks keeps every frame within the limit', () => {
  const ctx = { tenant: 't', receivedNs: 1_795_000_000_000_000_000n, newId: () => 'id' };
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 200, unit: 'binary' }),
        fc.constantFrom('<', '<999>', '<13>1', '<13>1 - - - - - [', '<13>Feb 30 25:61:61 h t[: m', '\u0000\ufeff'),
      ),
      (line) => {
        const parsed = parseSyslogLine(line, { nowMs: Date.UTC(2026, 10, 23) });
        if (parsed === undefined) {
          assert.equal(
            line.replace(/[\r\n\0]+$/, '').trim(),
            '',
            `${JSON.stringify(line)} holds a message but was skipped`,
          );
          return;
        }
        assert.ok(['rfc5424', 'rfc3164', 'raw'].includes(parsed.format));
        const normalized = normalizeRecord(parsed.record, ctx);
        assert.ok(
          normalized.ok,
          `${JSON.stringify(line)} was refused: ${normalized.ok ? '' : `${normalized.error.field} ${normalized.error.message}`}`,
        );
      },
    ),
    { numRuns: 500 },
  );
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 10 }), (parts) => {
      const frames: Buffer[] = [];
      const problems: string[] = [];
      const splitter = createFrameSplitter({
        maxFrameBytes: 32,
        onFrame: (f) => frames.push(f),
        onProblem: (p) => problems.push(p),
      });
      for (const p of parts) splitter.push(Buffer.from(p));
      splitter.end();
      assert.ok(
        frames.every((f) => f.length <= 32),
        'no frame beyond the limit',
      );
    }),
    { numRuns: 500 },
  );
});
