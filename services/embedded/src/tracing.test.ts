import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// Tracing as operators turn it on: the standard OTEL_* variables, a real OTLP/HTTP exporter, and
// a receiver on loopback standing where an OpenTelemetry Collector would.
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

test('with OTEL_EXPORTER_OTLP_ENDPOINT set the service exports its ingest spans over OTLP/HTTP', async () => {
  const received: { path: string; body: string }[] = [];
  const receiver = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    received.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  receiver.listen(0, '127.0.0.1');
  await once(receiver, 'listening');
  const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;

  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      PORT: '0',
      DATA_DIR: mkdtempSync(join(tmpdir(), 'idl-tracing-')),
      SAMPLE_TRAFFIC_RATE: '0',
      LOG_LEVEL: 'warn',
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_SERVICE_NAME: 'traced-collector',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let url: string | undefined;
    for await (const line of createInterface({ input: child.stdout! })) {
      const m = /Dashboard\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(line);
      if (m) {
        url = m[1];
        break;
      }
    }
    const traceId = '0af7651916cd43dd8448eb211c80319c';
    const res = await fetch(`${url}/api/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', traceparent: `00-${traceId}-b7ad6b7169203331-01` },
      body: '{"service":"traced","message":"follow me"}',
    });
    assert.equal(res.status, 202);
    // Shutdown flushes the batch of spans, so no waiting on the exporter's timer.
    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0);
    const spans = received.filter((r) => r.path === '/v1/traces');
    assert.ok(spans.length > 0, 'the exporter posted to /v1/traces');
    const body = spans.map((r) => r.body).join('\n');
    assert.match(body, /ingest logs/);
    assert.match(body, /traced-collector/);
    assert.ok(body.includes(traceId), 'the span continues the caller’s trace');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    receiver.close();
  }
});
