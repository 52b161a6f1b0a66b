import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request a test receiver got. */
export interface Received {
  path: string;
  contentType: string;
  body: unknown;
}

/**
 * Test support: a real HTTP server that records every POST, as an Alertmanager or a JSON webhook
 * would receive it. `start` again on the same port brings a stopped receiver back.
 */
export function webhookReceiver() {
  const received: Received[] = [];
  let server: Server | undefined;
  let port = 0;
  return {
    received,
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    async start(): Promise<void> {
      server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          received.push({
            path: req.url ?? '',
            contentType: String(req.headers['content-type'] ?? ''),
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
          });
          res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
        });
      });
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    },
    async stop(): Promise<void> {
      server?.closeAllConnections();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
      server = undefined;
    },
  };
}
