import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '@elastic/elasticsearch';
import { LogPage, type LogRecord } from '@instant-logs/schema';
import { startTestPipeline } from './test-pipeline.ts';
import type { EmbeddedPipeline } from './app.ts';

// A shipper using the official Elasticsearch client, pointed at the embedded pipeline. Auth is
// off here: the ApiKey/Basic/Bearer forms belong to the auth hook and are tested with it.
let p: EmbeddedPipeline;
let url: string;
let client: Client;
before(async () => {
  p = await startTestPipeline();
  url = await p.app.listen({ host: '127.0.0.1', port: 0 });
  client = new Client({ node: url });
});
after(async () => {
  await client.close();
  await p.close();
});

async function stored(marker: string): Promise<LogRecord[]> {
  const res = await p.app.inject({ method: 'GET', url: `/api/v1/logs?from=now-1h&limit=1000&q=${marker}` });
  assert.equal(res.statusCode, 200, res.body);
  return LogPage.parse(res.json()).records;
}

test('helpers.bulk delivers every document and each is stored with its ECS fields mapped', async () => {
  const marker = `helper${Date.now()}`;
  const n = 250;
  const docs = Array.from({ length: n }, (_, i) => ({
    '@timestamp': new Date(Date.now() - i).toISOString(),
    message: `checkout step ${i} ${marker}`,
    log: { level: i % 2 === 0 ? 'error' : 'info', logger: 'cart' },
    service: { name: 'shop', version: '1.4.0' },
    host: { name: 'web-3' },
    trace: { id: '5b8efff798038103d269b633813fc60c' },
    order: { id: `A-${i}` },
  }));
  const stats = await client.helpers.bulk({
    datasource: docs,
    onDocument: () => ({ index: { _index: 'app-logs' } }),
    flushBytes: 16 * 1024,
  });
  assert.equal(stats.successful, n);
  assert.equal(stats.failed, 0);

  const records = await stored(marker);
  assert.equal(records.length, n);
  const seven = records.find((r) => r.body === `checkout step 7 ${marker}`)!;
  assert.equal(seven.service, 'shop');
  assert.equal(seven.level, 'info');
  assert.equal(seven.trace_id, '5b8efff798038103d269b633813fc60c');
  assert.equal(seven.resource['host.name'], 'web-3');
  assert.equal(seven.resource['service.version'], '1.4.0');
  assert.equal(seven.attributes['order.id'], 'A-7');
  assert.equal(seven.attributes['log.logger'], 'cart');
  assert.equal(seven.attributes['elasticsearch.index'], 'app-logs');
  assert.equal(seven.timestamp.slice(0, 23), docs[7]!['@timestamp'].slice(0, 23));
  assert.equal(records.filter((r) => r.level === 'error').length, n / 2);
});

test('client.bulk answers per item as Elasticsearch does and stores the good documents', async () => {
  const marker = `mixed${Date.now()}`;
  const res = await client.bulk({
    operations: [
      { index: { _index: 'payments', _id: 'p-1' } },
      { message: `charged ${marker}`, 'log.level': 'info' },
      { create: { _index: 'payments' } },
      { message: `refused ${marker}`, log: { level: 'not-a-level' } },
      { delete: { _index: 'payments', _id: 'p-1' } },
      { index: { _index: 'payments' } },
      { message: `refunded ${marker}`, 'service.name': 'billing' },
    ],
  });
  assert.equal(res.errors, true);
  assert.deepEqual(
    res.items.map((item) => Object.keys(item)[0]),
    ['index', 'create', 'delete', 'index'],
  );
  assert.equal(res.items[0]!.index!.status, 201);
  assert.equal(res.items[0]!.index!._id, 'p-1');
  assert.equal(res.items[0]!.index!.result, 'created');
  assert.equal(res.items[1]!.create!.status, 400);
  assert.equal(res.items[1]!.create!.error!.type, 'document_parsing_exception');
  assert.match(res.items[1]!.create!.error!.reason ?? '', /\[log\.level\]/);
  assert.equal(res.items[2]!.delete!.status, 400);
  assert.equal(res.items[2]!.delete!.error!.type, 'illegal_argument_exception');
  assert.equal(res.items[3]!.index!.status, 201);

  const records = await stored(marker);
  assert.deepEqual(records.map((r) => r.body).sort(), [`charged ${marker}`, `refunded ${marker}`]);
  assert.equal(records.find((r) => r.body.startsWith('charged'))?.service, 'payments');
  const refunded = records.find((r) => r.body.startsWith('refunded'));
  assert.equal(refunded?.service, 'billing');
  assert.equal(
    res.items[3]!.index!._id,
    refunded?.id,
    'without an _id of its own, a document is answered with its stored id',
  );
});

test('a client with compression on sends gzip bodies that are stored', async () => {
  const gzipClient = new Client({ node: url, compression: true });
  try {
    const marker = `gzip${Date.now()}`;
    const docs = Array.from({ length: 40 }, (_, i) => ({
      message: `compressed ${i} ${marker}`,
      'service.name': 'zipper',
    }));
    const stats = await gzipClient.helpers.bulk({
      datasource: docs,
      onDocument: () => ({ create: { _index: 'zipped' } }),
    });
    assert.equal(stats.successful, 40);
    const records = await stored(marker);
    assert.equal(records.length, 40);
    assert.ok(records.every((r) => r.service === 'zipper'));
  } finally {
    await gzipClient.close();
  }
});

test('the client reads cluster info at / while a browser there still gets the dashboard', async () => {
  const info = await client.info();
  assert.match(info.version.number, /^8\./);
  assert.equal(await client.ping(), true);
  const page = await fetch(`${url}/`, { headers: { accept: 'text/html,application/xhtml+xml' } });
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  assert.equal(page.headers.get('x-elastic-product'), null);
});
