import http from 'node:http';

export interface Answer {
  status: number;
  ms: number;
}

/** One request's status and time; a refusal that closed the connection early counts as status 0. */
export async function timed(send: () => Promise<{ status: number }>): Promise<Answer> {
  const t0 = performance.now();
  const status = await send().then(
    (r) => r.status,
    () => 0,
  );
  return { status, ms: performance.now() - t0 };
}

/** A keep-alive agent for `sockets` parallel connections to one local server. */
export function keepAliveAgent(sockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: sockets });
}

/** Sends one request to 127.0.0.1 and resolves with the status and the whole response body. */
export function request(
  agent: http.Agent,
  port: number,
  method: 'GET' | 'POST',
  path: string,
  body?: Uint8Array,
  extraHeaders: Record<string, string> = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const headers = {
      ...(body ? { 'content-type': 'application/x-ndjson', 'content-length': body.length } : {}),
      ...extraHeaders,
    };
    const req = http.request({ agent, host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
