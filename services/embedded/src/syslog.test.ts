import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { Histogram, LogPage, type LogRecord } from '@instant-logs/schema';
import { DEFAULT_TENANT } from '@instant-logs/service-kit';
import { runLoggen, startSyslogNg } from '@instant-logs/testbed';
import { startSyslogServer, type SyslogServer } from '@instant-logs/collector';
import { eventually, startTestPipeline } from './test-pipeline.ts';
import type { EmbeddedPipeline } from './app.ts';

const TENANT = DEFAULT_TENANT;
const auth = {};
const quiet = { info() {}, warn() {}, error() {} };

let pipeline: EmbeddedPipeline;
let syslog: SyslogServer;
const syslogRegistry = new Registry();

before(async () => {
  pipeline = await startTestPipeline();
  // As main.ts wires it: the listeners ingest through the pipeline's own queue, limits and metrics.
  const accept = pipeline.accept;
  syslog = await startSyslogServer({
    host: '127.0.0.1',
    tcpPort: 0,
    udpPort: 0,
    tenant: TENANT,
    accept,
    log: quiet,
    registry: syslogRegistry,
    batch: { maxRecords: 2000, maxDelayMs: 20 },
  });
});
after(async () => {
  await syslog.close();
  await pipeline.close();
});

const from = () => new Date(Date.now() - 2 * 86_400_000).toISOString();

async function search(q: string, limit = 100): Promise<LogRecord[]> {
  const res = await pipeline.app.inject({
    method: 'GET',
    url: `/api/v1/logs?q=${encodeURIComponent(q)}&from=${from()}&limit=${limit}`,
    headers: auth,
  });
  assert.equal(res.statusCode, 200, res.body);
  return LogPage.parse(res.json()).records;
}

async function count(q: string): Promise<number> {
  const res = await pipeline.app.inject({
    method: 'GET',
    url: `/api/v1/logs/histogram?q=${encodeURIComponent(q)}&from=${from()}&buckets=1`,
    headers: auth,
  });
  assert.equal(res.statusCode, 200, res.body);
  return Histogram.parse(res.json()).buckets.reduce(
    (sum, b) => sum + Object.values(b.counts).reduce((a, n) => a + n, 0),
    0,
  );
}

/** "Nov 23 09:05:07": a BSD syslog timestamp (UTC) for the input files. */
function bsdTime(ms: number): string {
  const d = new Date(ms);
  const month = d.toLocaleString('en-US', { month: 'short', timeZone: 'UTC' });
  return `${month} ${String(d.getUTCDate()).padStart(2, ' ')} ${d.toISOString().slice(11, 19)}`;
}

test('syslog-ng forwards over TCP as RFC 5424 and RFC 3164 and over UDP, and every message is searchable', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'idl-syslog-ng-'));
  const ts = bsdTime(Date.now() - 60_000);
  // Each route gets its own input file so each stored record proves one path end to end.
  await writeFile(
    join(dir, 'in-5424.log'),
    `<11>${ts} web-1 checkout[4242]: payment failed for order 17\n<10>${ts} web-1 checkout[4242]: ledger unreachable\n`,
  );
  await writeFile(
    join(dir, 'in-3164.log'),
    `<12>${ts} db-2 postgres[77]: checkpoint took 9 s\n<15>${ts} db-2 postgres[77]: vacuum details\n`,
  );
  await writeFile(join(dir, 'in-udp.log'), `<14>${ts} edge-3 haproxy[9]: backend api is up\n`);
  const tcp = syslog.tcpPort!;
  const daemon = await startSyslogNg({
    dir,
    config: `@version: 3.38
options { keep-hostname(yes); stats-freq(0); recv-time-zone("+00:00"); send-time-zone("+00:00"); };
source s_5424 { file("${dir}/in-5424.log" follow-freq(0.05)); };
source s_3164 { file("${dir}/in-3164.log" follow-freq(0.05)); };
source s_udp { file("${dir}/in-udp.log" follow-freq(0.05)); };
destination d_5424 { syslog("127.0.0.1" port(${tcp}) transport("tcp") persist-name("d5424")); };
destination d_3164 { network("127.0.0.1" port(${tcp}) transport("tcp") persist-name("d3164")); };
destination d_udp { network("127.0.0.1" port(${syslog.udpPort}) transport("udp")); };
log { source(s_5424); destination(d_5424); };
log { source(s_3164); destination(d_3164); };
log { source(s_udp); destination(d_udp); };
`,
  });
  try {
    await eventually(
      async () => ((await count('service:checkout OR service:postgres OR service:haproxy')) === 5 ? true : undefined),
      20_000,
      '5 forwarded records stored',
    );

    const received = (await syslogRegistry.getMetricsAsJSON()).find(
      (m) => m.name === 'instant_logs_syslog_messages_total',
    )!.values;
    const seen = (transport: string, format: string) =>
      received.find((v) => v.labels.transport === transport && v.labels.format === format)?.value;
    assert.deepEqual(
      [seen('tcp', 'rfc5424'), seen('tcp', 'rfc3164'), seen('udp', 'rfc3164')],
      [2, 2, 1],
      'each route used its own framing and format',
    );

    const checkout = await search('service:checkout');
    assert.deepEqual(checkout.map((r) => [r.body, r.level, r.severity_text]).sort(), [
      ['ledger unreachable', 'fatal', 'crit'],
      ['payment failed for order 17', 'error', 'err'],
    ]);
    for (const r of checkout) {
      assert.equal(r.resource['host.name'], 'web-1');
      assert.equal(r.attributes['process.pid'], '4242');
      assert.equal(r.attributes['syslog.facility'], 'user');
      assert.equal(r.timestamp.slice(11, 19), ts.slice(-8), 'the sender’s timestamp is kept');
    }

    const postgres = await search('service:postgres host.name:db-2');
    assert.deepEqual(postgres.map((r) => [r.body, r.level]).sort(), [
      ['checkpoint took 9 s', 'warn'],
      ['vacuum details', 'debug'],
    ]);

    const [haproxy] = await search('"backend api is up"');
    assert.deepEqual(
      [haproxy?.service, haproxy?.level, haproxy?.resource['host.name'], haproxy?.tenant],
      ['haproxy', 'info', 'edge-3', TENANT],
    );
  } finally {
    await daemon.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test('loggen over TCP with RFC 5424 framing: every message is stored exactly once', async () => {
  const total = 20_000;
  const started = Date.now();
  const result = await runLoggen([
    '--inet',
    '--stream',
    '--syslog-proto',
    '--rate',
    '200000',
    '--number',
    String(total),
    '--size',
    '200',
    '127.0.0.1',
    String(syslog.tcpPort),
  ]);
  assert.equal(result.code, 0, result.stderr);
  const stored = await eventually(
    async () => {
      const n = await count('service:prg00000');
      return n >= total ? n : undefined;
    },
    60_000,
    `${total} loggen records stored`,
  );
  const seconds = (Date.now() - started) / 1000;
  assert.equal(stored, total);
  const [sample] = await search('service:prg00000', 1);
  assert.deepEqual(
    [sample?.resource['host.name'], sample?.attributes['process.pid'], sample?.severity_text],
    ['localhost', '1234', 'info'],
  );
  console.log(`loggen: ${result.stderr.trim()}`);
  console.log(
    `stored ${total} records in ${seconds.toFixed(2)} s end to end: ${Math.round(total / seconds)} records/s`,
  );
});
