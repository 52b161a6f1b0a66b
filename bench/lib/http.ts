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

/** A request's answer; retryAfterS is the Retry-After header in seconds, when one came. */
export interface Response {
  status: number;
  text: string;
  retryAfterS?: number;
}

/**
 * Waits as a log shipper does before sending again after a refusal that named a Retry-After,
 * at most until `deadline` (performance.now()); resolves whether it waited.
 */
export async function honourRetryAfter(
  res: { status: number; retryAfterS?: number },
  deadline = Infinity,
): Promise<boolean> {
  if (res.retryAfterS === undefined) return false;
  const ms = Math.min(res.retryAfterS * 1000, deadline - performance.now());
  if (ms > 0) await new Promise((r) => setTimeout(r, ms));
  return true;
}

/** Sends one request to 127.0.0.1 and resolves with the status and the whole response body. */
export function request(
  agent: http.Agent,
  port: number,
  method: 'GET' | 'POST',
  path: string,
  body?: Uint8Array,
  extraHeaders: Record<string, string> = {},
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const headers = {
      ...(body ? { 'content-type': 'application/x-ndjson', 'content-length': body.length } : {}),
      ...extraHeaders,
    };
    const req = http.request({ agent, host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const retryAfter = Number(res.headers['retry-after']);
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString(),
          ...(res.headers['retry-after'] !== undefined && Number.isFinite(retryAfter)
            ? { retryAfterS: retryAfter }
            : {}),
        });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
