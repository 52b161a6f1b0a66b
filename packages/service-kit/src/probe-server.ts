import { createServer } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

// The probe thread's body: tiny on purpose, so nothing here can itself be slow.
const { state, host, port, stallMs, staleReadyMs } = workerData as {
  state: BigInt64Array;
  host: string;
  port: number;
  stallMs: number;
  staleReadyMs: number;
};
const BEAT = 0;
const READY = 1;

const server = createServer((request, response) => {
  const silentMs = Date.now() - Number(Atomics.load(state, BEAT));
  const path = (request.url ?? '').split('?')[0];
  let status = 404;
  let body: object = { error: { code: 'NOT_FOUND', message: 'this port answers GET /healthz and GET /readyz only' } };
  if (path === '/healthz') {
    status = silentMs < stallMs ? 200 : 503;
    body = status === 200 ? { status: 'ok' } : { status: 'event loop stalled', silentMs };
  } else if (path === '/readyz') {
    const ready = Atomics.load(state, READY) === 1n && silentMs < staleReadyMs;
    status = ready ? 200 : 503;
    body = { status: ready ? 'ready' : 'not ready' };
  }
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'close',
  });
  response.end(JSON.stringify(body));
});
// A probe sends no body and needs no keep-alive; anything slower than this is not a probe.
server.headersTimeout = 5_000;
server.requestTimeout = 5_000;
server.on('error', (err) => parentPort!.postMessage({ error: err.message }));
server.listen({ host, port }, () => {
  const address = server.address();
  parentPort!.postMessage({ listening: typeof address === 'object' && address ? address.port : port });
});
