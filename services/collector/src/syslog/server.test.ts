import { test } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { createInProcessQueue, QueueFullError, type RecordChunk } from '@instant-logs/queue';
import type { LogRecord } from '@instant-logs/schema';
import { createTestCertificates, waitUntil } from '@instant-logs/testbed';
import { createCollectorMetrics } from '../metrics.ts';
import { startSyslogServer, type SyslogServerOptions } from './server.ts';
import { parseQueuedLine } from '@instant-logs/schema';

const quiet = { info() {}, warn() {}, error() {} };

/** A syslog server on ephemeral ports whose queue hands chunks to `consume`. */
async function start(consume: (chunk: RecordChunk) => Promise<void>, extra: Partial<SyslogServerOptions> = {}) {
  const registry = new Registry();
  const accept = {
    queue: createInProcessQueue(consume),
    metrics: createCollectorMetrics(new Registry()),
    clock: Date.now,
  };
  const server = await startSyslogServer({
    host: '127.0.0.1',
    tcpPort: 0,
    udpPort: 0,
    tenant: 'acme',
    accept,
    log: quiet,
    registry,
    batch: { maxRecords: 100, maxDelayMs: 10 },
    ...extra,
  });
  const counter = async (name: string, labels: Record<string, string>) => {
    const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
    const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
    return value?.value ?? 0;
  };
  return { server, counter };
}

/** Collects every stored record, by body. */
function store() {
  const records: LogRecord[] = [];
  const consume = async (chunk: RecordChunk) => {
    for (const line of chunk.data.toString().split('\n')) records.push(parseQueuedLine(line));
  };
  return { records, consume };
}

async function sendTcp(port: number, data: string | Buffer): Promise<void> {
  const socket = net.connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  await new Promise<void>((resolve) => socket.end(data, resolve));
}

async function sendUdp(port: number, messages: string[]): Promise<void> {
  const socket = dgram.createSocket('udp4');
  for (const m of messages)
    await new Promise<void>((resolve, reject) =>
      socket.send(m, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
    );
  socket.close();
}

const octet = (msg: string) => `${Buffer.byteLength(msg)} ${msg}`;

test('TCP messages in both framings are parsed and published for the listener tenant', async () => {
  const { records, consume } = store();
  const { server } = await start(consume);
  try {
    await sendTcp(
      server.tcpPort!,
      octet('<11>1 2026-01-02T03:04:05Z db-1 postgres 77 - [meta@1 query="select"] slow\nquery') +
        octet('<14>1 - db-1 postgres - - - second'),
    );
    await sendTcp(
      server.tcpPort!,
      '<12>Nov 23 10:00:00 web-1 nginx[5]: upstream timed out\n<13>plain tail\nno grammar at all\n',
    );
    await waitUntil('5 records stored', () => records.length === 5, 5000);
    const byBody = new Map(records.map((r) => [r.body, r]));
    const slow = byBody.get('slow\nquery')!;
    assert.deepEqual(
      [
        slow.tenant,
        slow.service,
        slow.level,
        slow.resource['host.name'],
        slow.attributes['meta@1.query'],
        slow.timestamp,
      ],
      ['acme', 'postgres', 'error', 'db-1', 'select', '2026-01-02T03:04:05.000000000Z'],
    );
    const nginx = byBody.get('upstream timed out')!;
    assert.deepEqual(
      [nginx.service, nginx.level, nginx.severity_text, nginx.attributes['process.pid']],
      ['nginx', 'warn', 'warning', '5'],
    );
    assert.ok(byBody.has('second') && byBody.has('plain tail'));
    assert.equal(byBody.get('no grammar at all')?.service, 'syslog', 'an unparsable line is kept, not dropped');
  } finally {
    await server.close();
  }
});

test('UDP datagrams are one message each', async () => {
  const { records, consume } = store();
  const { server, counter } = await start(consume);
  try {
    await sendUdp(server.udpPort!, ['<30>1 - h1 app1 - - - over udp\n', '<30>Nov 23 10:00:00 h2 app2: bsd over udp']);
    await waitUntil('2 records stored', () => records.length === 2, 5000);
    assert.deepEqual(records.map((r) => `${r.service}:${r.body}`).sort(), ['app1:over udp', 'app2:bsd over udp']);
    assert.equal(await counter('instant_logs_syslog_messages_total', { transport: 'udp', format: 'rfc5424' }), 1);
    assert.equal(await counter('instant_logs_syslog_messages_total', { transport: 'udp', format: 'rfc3164' }), 1);
  } finally {
    await server.close();
  }
});

test('a TCP batch the queue refuses is retried until stored, once, without loss', async () => {
  const { records, consume } = store();
  let refused = 0;
  const { server, counter } = await start(
    async (chunk) => {
      if (refused < 3) {
        refused++;
        throw new QueueFullError('full');
      }
      await consume(chunk);
    },
    { retry: { initialMs: 5, maxMs: 20 } },
  );
  try {
    const lines = Array.from({ length: 250 }, (_, i) => `<14>Nov 23 10:00:00 h app: line ${i}\n`).join('');
    await sendTcp(server.tcpPort!, lines);
    await waitUntil('250 records stored', () => records.length >= 250, 10_000);
    assert.equal(refused, 3);
    assert.deepEqual(
      records.map((r) => r.body),
      Array.from({ length: 250 }, (_, i) => `line ${i}`),
      'all stored once, in order',
    );
    assert.equal(await counter('instant_logs_syslog_dropped_total', {}), 0);
  } finally {
    await server.close();
  }
});

test('one TCP connection never has two batches in flight, however much it sends', async () => {
  const { records, consume } = store();
  let inFlight = 0;
  let maxInFlight = 0;
  let release: () => void = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  const { server } = await start(async (chunk) => {
    maxInFlight = Math.max(maxInFlight, ++inFlight);
    await gate;
    await consume(chunk);
    inFlight--;
  });
  try {
    const sent = sendTcp(
      server.tcpPort!,
      Array.from({ length: 20_000 }, (_, i) => octet(`<14>1 - h app - - - n${i}`)).join(''),
    );
    await waitUntil('the first batch to reach the queue', () => inFlight === 1, 5000);
    release();
    await sent;
    await waitUntil('20000 records stored', () => records.length === 20_000, 20_000);
    assert.equal(maxInFlight, 1);
    assert.equal(new Set(records.map((r) => r.body)).size, 20_000);
  } finally {
    await server.close();
  }
});

test('UDP datagrams the queue refuses are counted as dropped', async () => {
  const { server, counter } = await start(async () => {
    throw new QueueFullError('full');
  });
  try {
    await sendUdp(server.udpPort!, ['<14>1 - h a - - - one', '<14>1 - h a - - - two']);
    await waitUntil(
      '2 drops counted',
      async () => (await counter('instant_logs_syslog_dropped_total', { reason: 'queue_full' })) === 2,
      5000,
    );
  } finally {
    await server.close();
  }
});

test('close() publishes what is still waiting in a batch before it resolves', async () => {
  const { records, consume } = store();
  const { server, counter } = await start(consume, { batch: { maxRecords: 1000, maxDelayMs: 60_000 } });
  const socket = net.connect({ host: '127.0.0.1', port: server.tcpPort! });
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  socket.write('<14>Nov 23 10:00:00 h app: waiting\n');
  await waitUntil(
    'the message to be read',
    async () => (await counter('instant_logs_syslog_messages_total', { transport: 'tcp' })) === 1,
    5000,
  );
  await server.close();
  assert.deepEqual(
    records.map((r) => r.body),
    ['waiting'],
  );
  socket.destroy();
});

test('bad options are refused naming the field', async () => {
  const accept = {
    queue: createInProcessQueue(async () => {}),
    metrics: createCollectorMetrics(new Registry()),
    clock: Date.now,
  };
  await assert.rejects(startSyslogServer({ host: '127.0.0.1', tenant: 'a', accept, log: quiet }), {
    code: 'INVALID_SYSLOG_OPTION',
    field: 'tcpPort',
  });
  await assert.rejects(startSyslogServer({ host: '127.0.0.1', tcpPort: 70000, tenant: 'a', accept, log: quiet }), {
    field: 'tcpPort',
  });
  await assert.rejects(startSyslogServer({ host: '127.0.0.1', tcpPort: 0, tenant: ' ', accept, log: quiet }), {
    field: 'tenant',
  });
});

test('over TLS a verified client certificate names the tenant of its connection, and an untrusted one cannot connect', async () => {
  const certs = await createTestCertificates(await mkdtemp(join(tmpdir(), 'idl-syslog-tls-')), {
    clients: ['network'],
  });
  const { records, consume } = store();
  const options = {
    cert: readFileSync(certs.server.certFile),
    key: readFileSync(certs.server.keyFile),
    ca: readFileSync(certs.caFile),
    requestCert: true,
    rejectUnauthorized: true,
  };
  const { server } = await start(consume, { udpPort: undefined, tls: { options, clientCertificates: true } });
  const send = (client: { certFile: string; keyFile: string }, data: string) =>
    new Promise<void>((resolve, reject) => {
      const socket = tls.connect(
        {
          host: '127.0.0.1',
          port: server.tcpPort!,
          ca: readFileSync(certs.caFile),
          cert: readFileSync(client.certFile),
          key: readFileSync(client.keyFile),
        },
        () => socket.end(data),
      );
      socket.once('error', reject);
      socket.once('close', () => resolve());
    });
  try {
    await send(certs.clients['network']!, octet('<13>1 2026-01-02T03:04:05Z sw-1 switchd - - - link up'));
    await waitUntil('the TLS record stored', () => records.length === 1, 5000);
    assert.deepEqual([records[0]!.tenant, records[0]!.service, records[0]!.body], ['network', 'switchd', 'link up']);
    // TLS 1.3 reports the refused certificate after the handshake: a reset or an alert, never a stored record.
    await send(certs.untrustedClient, octet('<13>1 - evil intruder - - - let me in')).catch(() => undefined);
    // A later trusted record marks the point by which the intruder's would have been stored.
    await send(certs.clients['network']!, octet('<13>1 - sw-1 switchd - - - link down'));
    await waitUntil('the second TLS record stored', () => records.some((r) => r.body === 'link down'), 5000);
    assert.deepEqual(records.map((r) => r.body).sort(), ['link down', 'link up']);
  } finally {
    await server.close();
  }
});
