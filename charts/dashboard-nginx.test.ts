import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { connect as tlsConnect } from 'node:tls';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tlsServerOptions } from '@instant-logs/service-kit';
import { createTestCertificates, freePort, waitUntil, type TestCertificates } from '@instant-logs/testbed';
import { startTestPipeline } from '../services/embedded/src/test-pipeline.ts';

// The dashboard image's nginx config and entry point, run by the real nginx and envsubst of the test
// bed (no Docker engine here): only the paths that exist solely in the image are rewritten.
const DOCKERFILE = fileURLToPath(new URL('../Dockerfile', import.meta.url));
const KEY = 'nginx-check-key-0123456789';
const PAGE = '<!doctype html><title>dashboard under test</title>';
const run = promisify(execFile);

interface Response {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The bodies of the dashboard stage's `COPY <<'EOF' <target>` heredocs, by target path. */
async function dashboardHeredocs(): Promise<Map<string, string>> {
  const text = await readFile(DOCKERFILE, 'utf8');
  const stage = text.slice(text.search(/^FROM \S+ AS dashboard$/m));
  return new Map([...stage.matchAll(/^COPY [^\n]*<<'EOF' (\S+)\n([\s\S]*?)\nEOF$/gm)].map((m) => [m[1]!, m[2]!]));
}

/** The entry point and template, pointed at `dir` instead of the image's /tmp, template and page paths. */
async function prepare(dir: string): Promise<{ script: string }> {
  const heredocs = await dashboardHeredocs();
  const template = heredocs.get('/etc/nginx/dashboard.conf.template');
  const script = heredocs.get('/usr/local/bin/dashboard-entrypoint');
  assert.ok(template && script, 'the dashboard stage writes the template and the entry point');
  // Each run gets its own pid file and temp dirs, so parallel runs do not share /tmp/nginx.pid.
  const local = (s: string) => s.replaceAll('/tmp/', `${dir}/`);
  // Started as root, nginx serves files as nobody (the image runs it as its own user): the page must be readable by others.
  await chmod(dir, 0o755);
  await mkdir(join(dir, 'html'));
  await writeFile(join(dir, 'html/index.html'), PAGE);
  await writeFile(
    join(dir, 'dashboard.conf.template'),
    local(template).replaceAll('/usr/share/nginx/html', join(dir, 'html')),
  );
  return {
    script: local(script).replaceAll('/etc/nginx/dashboard.conf.template', join(dir, 'dashboard.conf.template')),
  };
}

/** One request on its own connection (so nginx can stop at once), trusting `ca` for https. */
function get(
  url: string,
  ca?: string,
  headers: Record<string, string> = {},
  method = 'GET',
  body?: string,
): Promise<Response> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, method, headers, ...(ca ? { ca } : {}) }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (s: string) => (body += s));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Opens a WebSocket by hand (fetch's WebSocket cannot trust a private CA) and returns the status and first text frame. */
function firstWebSocketMessage(
  url: string,
  ca?: string,
  extra: Record<string, string> = {},
): Promise<{ status: number; message: string }> {
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      agent: false,
      ...(ca ? { ca } : {}),
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'aW5zdGFudC1kZXYtbG9ncw==',
        ...extra,
      },
    });
    req.on('response', (res) => reject(new Error(`no upgrade: HTTP ${res.statusCode}`)));
    req.on('upgrade', (res, socket: Socket, head: Buffer) => {
      let data = head;
      const frame = () => {
        // A server frame is unmasked; the ready message is short, so its length is in one or three bytes.
        if (data.length < 2) return;
        const short = data[1]! & 0x7f;
        const [start, length] = short === 126 ? [4, data.readUInt16BE(2)] : [2, short];
        if (data.length < start + length) return;
        socket.destroy();
        resolve({ status: res.statusCode ?? 0, message: data.subarray(start, start + length).toString('utf8') });
      };
      socket.on('data', (chunk: Buffer) => {
        data = Buffer.concat([data, chunk]);
        frame();
      });
      socket.on('error', reject);
      frame();
    });
    req.on('error', reject);
    req.end();
  });
}

interface Mode {
  name: string;
  scheme: 'http' | 'https';
  tls: boolean;
}
const MODES: Mode[] = [
  { name: 'without TLS_CERT_FILE', scheme: 'http', tls: false },
  { name: 'with TLS_CERT_FILE and TLS_KEY_FILE', scheme: 'https', tls: true },
];

for (const mode of MODES) {
  describe(`the dashboard nginx ${mode.name}`, () => {
    let dir: string;
    let certs: TestCertificates | undefined;
    let ca: string | undefined;
    let nginx: ChildProcess | undefined;
    let stderr = '';
    let close: (() => Promise<void>) | undefined;
    let base: string;

    before(
      async () => {
        dir = await mkdtemp(join(tmpdir(), 'dashboard-nginx-'));
        if (mode.tls) {
          certs = await createTestCertificates(join(dir, 'certs'));
          ca = await readFile(certs.caFile, 'utf8');
        }
        // The query service behind nginx: https too when the pipeline has TLS, as the operator deploys it.
        const https = certs
          ? tlsServerOptions({ certFile: certs.server.certFile, keyFile: certs.server.keyFile, clientAuth: 'none' })
          : undefined;
        const upstream = await startTestPipeline({
          apiKeys: `${KEY}:tenant:ingest+query+admin`,
          ...(https ? { https } : {}),
        });
        close = () => upstream.close();
        await upstream.app.listen({ port: 0, host: '127.0.0.1' });
        const ingested = await upstream.app.inject({
          method: 'POST',
          url: '/api/v1/logs',
          headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
          payload: [{ service: 'nginx-check', message: `proxied ${mode.scheme}` }],
        });
        assert.equal(ingested.statusCode, 202, ingested.body);

        const { script } = await prepare(dir);
        const port = await freePort();
        base = `${mode.scheme}://localhost:${port}`;
        // Its own process group: the certificate-reload loop outlives the shell that exec's nginx.
        nginx = spawn('sh', ['-c', script], {
          detached: true,
          stdio: ['ignore', 'ignore', 'pipe'],
          env: {
            PATH: '/usr/sbin:/usr/bin:/bin',
            PORT: String(port),
            QUERY_URL: `${mode.scheme}://localhost:${(upstream.app.server.address() as AddressInfo).port}`,
            ...(certs
              ? { TLS_CERT_FILE: certs.server.certFile, TLS_KEY_FILE: certs.server.keyFile, TLS_RELOAD_SECONDS: '1' }
              : {}),
          },
        });
        nginx.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
        await waitUntil(
          `nginx to answer ${base}/healthz`,
          async () => {
            if (nginx!.exitCode !== null) throw new Error(`nginx exited with ${nginx!.exitCode}: ${stderr}`);
            return get(`${base}/healthz`, ca).then(
              (r) => r.status === 200,
              () => false,
            );
          },
          15_000,
        );
      },
      { timeout: 120_000 },
    );

    after(async () => {
      if (nginx && nginx.exitCode === null && nginx.signalCode === null) {
        const exited = once(nginx, 'exit');
        nginx.kill('SIGTERM');
        await exited;
      }
      if (nginx?.pid) {
        try {
          process.kill(-nginx.pid, 'SIGKILL');
        } catch {
          // the group is already gone
        }
      }
      await close?.();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    test(`GET / over ${mode.scheme} returns the page with its Content-Security-Policy`, async () => {
      const res = await get(`${base}/`, ca);
      assert.equal(res.status, 200);
      assert.equal(res.body, PAGE);
      assert.match(String(res.headers['content-security-policy']), /default-src 'self'/);
      assert.equal(res.headers['x-frame-options'], 'DENY');
    });

    test(`GET /api/v1/logs over ${mode.scheme} is proxied to the query service and returns its records`, async () => {
      const url = `${base}/api/v1/logs?q=${encodeURIComponent('service:nginx-check')}&from=now-1h`;
      const res = await waitUntil('the record to be searchable through nginx', async () => {
        const r = await get(url, ca, { authorization: `Bearer ${KEY}` });
        assert.equal(r.status, 200, r.body);
        return (JSON.parse(r.body) as { records: unknown[] }).records.length > 0 ? r : undefined;
      });
      assert.match(String(res.headers['content-type']), /^application\/json/);
      const { records } = JSON.parse(res.body) as { records: { service: string; body: string }[] };
      assert.deepEqual(
        records.map((r) => [r.service, r.body]),
        [['nginx-check', `proxied ${mode.scheme}`]],
      );
    });

    test(`patterns and saved views over ${mode.scheme}: GET, POST, PUT and DELETE all reach the query service`, async () => {
      const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
      const patterns = await get(`${base}/api/v1/patterns?from=now-1h`, ca, auth);
      assert.equal(patterns.status, 200, patterns.body);
      assert.ok((JSON.parse(patterns.body) as { patterns: unknown[] }).patterns.length > 0, patterns.body);
      const view = { name: `nginx ${mode.scheme}`, q: 'service:nginx-check', from: 'now-1h', to: 'now' };
      const created = await get(`${base}/api/v1/views`, ca, auth, 'POST', JSON.stringify(view));
      assert.equal(created.status, 201, created.body);
      const { id } = JSON.parse(created.body) as { id: string };
      const renamed = { ...view, name: `${view.name} renamed` };
      const replaced = await get(`${base}/api/v1/views/${id}`, ca, auth, 'PUT', JSON.stringify(renamed));
      assert.equal(replaced.status, 200, replaced.body);
      const read = await get(`${base}/api/v1/views/${id}`, ca, auth);
      assert.equal((JSON.parse(read.body) as { name: string }).name, renamed.name);
      const deleted = await get(`${base}/api/v1/views/${id}`, ca, { authorization: auth.authorization }, 'DELETE');
      assert.ok([200, 204].includes(deleted.status), deleted.body);
      assert.equal((await get(`${base}/api/v1/views/${id}`, ca, auth)).status, 404);
    });

    test(`the live-tail WebSocket upgrade over ${mode.scheme} reaches the query service with a ticket, from the page's own origin`, async () => {
      const issued = await get(`${base}/api/v1/tail/ticket`, ca, { authorization: `Bearer ${KEY}` }, 'POST');
      assert.equal(issued.status, 200, issued.body);
      const { ticket } = JSON.parse(issued.body) as { ticket: string };
      // nginx passes the browser's Host with its port, so the query service sees the page's origin as its own.
      const { status, message } = await firstWebSocketMessage(`${base}/api/v1/tail?ticket=${ticket}`, ca, {
        Origin: base,
      });
      assert.equal(status, 101);
      assert.equal((JSON.parse(message) as { type: string }).type, 'ready');
    });

    if (mode.tls) {
      test('plain http to the https port gets no page', async () => {
        const res = await get(base.replace('https:', 'http:') + '/');
        assert.equal(res.status, 400);
        assert.notEqual(res.body, PAGE);
      });

      test('a renewed certificate is served without a restart', async () => {
        const fingerprint = () => servedFingerprint(new URL(base).port, ca);
        const before = await fingerprint();
        await certs!.reissueServer();
        await waitUntil(
          'nginx to serve the renewed certificate',
          async () => ((await fingerprint()) !== before ? true : undefined),
          20_000,
        );
        assert.equal((await get(`${base}/`, ca)).status, 200);
      });

      test('a client that does not trust the CA is refused the handshake', async () => {
        await assert.rejects(get(`${base}/`), /self[- ]signed|unable to (get|verify)/i);
      });
    }
  });
}

// [missing setting, env, what the error names]
const misconfigured: [string, Record<string, string>, RegExp][] = [
  ['QUERY_URL', { PORT: '8080' }, /QUERY_URL/],
  [
    'TLS_KEY_FILE beside TLS_CERT_FILE',
    { PORT: '8080', QUERY_URL: 'http://q:8082', TLS_CERT_FILE: '/x/tls.crt' },
    /TLS_KEY_FILE/,
  ],
];
for (const [missing, env, names] of misconfigured) {
  test(`the entry point stops before nginx and names ${missing} when it is unset`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dashboard-nginx-'));
    try {
      const { script } = await prepare(dir);
      const err = await run('sh', ['-c', script], { env: { PATH: '/usr/sbin:/usr/bin:/bin', ...env } }).then(
        () => undefined,
        (e: { code: number; stderr: string }) => e,
      );
      assert.ok(err && err.code !== 0, 'the entry point failed');
      assert.match(err.stderr, names);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
}

/** The SHA-256 fingerprint of the certificate a TLS listener on localhost serves now. */
function servedFingerprint(port: string, ca: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: 'localhost', port: Number(port), ca, servername: 'localhost' }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.end();
      resolve(fp);
    });
    socket.once('error', reject);
  });
}
