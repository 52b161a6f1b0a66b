// The live-tail bench's clients, in their own process so their CPU is not counted as the server's:
// opens WebSocket tails when told, and reports how late each record arrived (its sent_ms attribute
// against this process's clock, the same machine's).
import { summarize } from './lib/stats.ts';

interface Command {
  cmd: 'open' | 'reset' | 'report' | 'close';
  /** With reset: records sent before this (epoch ms) are not the phase's, such as a new tail's first second. */
  fromMs?: number;
  url?: string;
  count?: number;
  filters?: number;
}

let sockets: WebSocket[] = [];
let latencies: number[] = [];
let delivered = 0;
let duplicates = 0;
let fromMs = 0;
const seen: Set<string>[] = [];

function open(url: string, index: number, filters: number): Promise<WebSocket> {
  const ws = new WebSocket(`${url}?q=${encodeURIComponent(`service:svc-${index % filters}`)}`);
  seen[index] = new Set();
  return new Promise((resolve, reject) => {
    ws.addEventListener('message', (e) => {
      const m = JSON.parse(String(e.data)) as {
        type: string;
        records?: { id: string; attributes: { sent_ms?: string } }[];
      };
      if (m.type === 'ready') resolve(ws);
      if (m.type === 'error') reject(new Error(String(e.data)));
      const now = Date.now();
      for (const r of m.records ?? []) {
        if (Number(r.attributes.sent_ms) < fromMs) continue;
        if (seen[index]!.has(r.id)) duplicates++;
        seen[index]!.add(r.id);
        delivered++;
        latencies.push(now - Number(r.attributes.sent_ms));
      }
    });
    ws.addEventListener('close', (e) => reject(new Error(`tail ${index} closed with ${e.code}`)));
  });
}

process.on('message', async (m: Command) => {
  if (m.cmd === 'open') {
    // In groups, as browsers reconnecting after a deploy would, not 1,000 handshakes in one burst.
    for (let i = sockets.length, end = sockets.length + m.count!; i < end; i += 100) {
      const group = Array.from({ length: Math.min(100, end - i) }, (_, k) => open(m.url!, i + k, m.filters!));
      sockets.push(...(await Promise.all(group)));
    }
    process.send!({ cmd: 'opened', open: sockets.length });
  } else if (m.cmd === 'reset') {
    latencies = [];
    delivered = 0;
    duplicates = 0;
    fromMs = m.fromMs ?? 0;
    process.send!({ cmd: 'reset' });
  } else if (m.cmd === 'report') {
    process.send!({ cmd: 'report', delivered, duplicates, latency: summarize(latencies) });
  } else if (m.cmd === 'close') {
    for (const ws of sockets) ws.close();
    sockets = [];
    process.send!({ cmd: 'closed' });
  }
});
process.send!({ cmd: 'started' });
