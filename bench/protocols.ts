// Ingest throughput per protocol against the embedded server as a child process, all carrying
// the same sample records (1000 per request). Syslog has no acknowledgement, so its rate is
// "sent until all stored". Usage: node bench/protocols.ts <out.json>
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { keepAliveAgent, request } from './lib/http.ts';
import { prepareLoad } from './lib/load.ts';
import { rates } from './lib/measure.ts';
import { scrape } from './lib/metrics.ts';
import { protocolRequests, syslogFrames } from './lib/protocol-bodies.ts';
import { startServer } from './lib/server.ts';
import { coreMeter, load, round } from './lib/stats.ts';

const [out = '/tmp/protocols.json'] = process.argv.slice(2);
const PER_BODY = 1000;
const CONNECTIONS = 4;
const SYSLOG_RECORDS = 200_000;

const server = await startServer({ env: { SYSLOG_TCP_PORT: '0' } });
const agent = keepAliveAgent(1);
const inserted = async () =>
  (await scrape(agent, server.port)).get('instant_logs_processor_records_inserted_total') ?? 0;
try {
  const results: unknown[] = [];
  for (const proto of protocolRequests(24, PER_BODY, 11)) {
    // One request first: a protocol that refuses the body is reported, not measured as zero.
    const probe = await request(agent, server.port, 'POST', proto.path, proto.bodies[0], proto.headers);
    if (probe.status !== proto.okStatus) {
      results.push({ protocol: proto.protocol, error: `HTTP ${probe.status}: ${probe.text.slice(0, 300)}` });
      continue;
    }
    const shape = {
      connections: CONNECTIONS,
      perBody: PER_BODY,
      bodies: proto.bodies.length,
      warmupMs: 3000,
      durationMs: 10_000,
    };
    const run = await prepareLoad({ ...shape, port: server.port, seed: 1, request: proto });
    const cpu = coreMeter(server.pid);
    const result = await run.run();
    const bytesPerRecord = Math.round(
      proto.bodies.reduce((n, b) => n + b.length, 0) / (proto.bodies.length * PER_BODY),
    );
    results.push({
      protocol: proto.protocol,
      path: proto.path,
      bytesPerRecord,
      ...rates(result, shape),
      serverCores: round(cpu(), 2),
      load: load(),
    });
    console.log(`${proto.protocol}: ${(results.at(-1) as { recordsPerS: number }).recordsPerS} records/s`);
  }
  results.push(await syslogRun());
  writeFileSync(
    out,
    JSON.stringify({ recordsPerRequest: PER_BODY, connections: CONNECTIONS, protocols: results }, null, 2),
  );
} finally {
  agent.destroy();
  await server.stop();
}

/** RFC 5424 octet-counted frames over CONNECTIONS TCP connections; timed from the first byte until the store holds them all. */
async function syslogRun() {
  const port = server.output().match(/Syslog\s+tcp:\/\/127\.0\.0\.1:(\d+)/)?.[1];
  if (!port) return { protocol: 'Syslog RFC 5424 (TCP)', error: 'the server printed no syslog TCP port' };
  const before = await inserted();
  const frames = Array.from({ length: CONNECTIONS }, (_, i) => syslogFrames(SYSLOG_RECORDS / CONNECTIONS, 100 + i));
  const cpu = coreMeter(server.pid);
  const t0 = performance.now();
  await Promise.all(
    frames.map(
      (data) =>
        new Promise<void>((resolve, reject) => {
          const socket = net.connect(Number(port), '127.0.0.1', () => socket.end(data));
          socket.on('error', reject);
          socket.on('close', () => resolve());
        }),
    ),
  );
  const sentMs = performance.now() - t0;
  const deadline = t0 + 300_000;
  while ((await inserted()) - before < SYSLOG_RECORDS) {
    if (performance.now() > deadline)
      throw new Error(`syslog: only ${(await inserted()) - before} of ${SYSLOG_RECORDS} stored after 300 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const storedMs = performance.now() - t0;
  return {
    protocol: 'Syslog RFC 5424 (TCP, octet counting)',
    records: SYSLOG_RECORDS,
    connections: CONNECTIONS,
    sentS: round(sentMs / 1000, 2),
    storedS: round(storedMs / 1000, 2),
    recordsPerS: Math.round(SYSLOG_RECORDS / (storedMs / 1000)),
    serverCores: round(cpu(), 2),
    load: load(),
  };
}
