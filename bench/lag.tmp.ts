// Experiment: the embedded server's event-loop lag and GC during a paced half-rate window.
import { keepAliveAgent } from './lib/http.ts';
import { scrape } from './lib/metrics.ts';
import { startServer } from './lib/server.ts';
import { sendPaced, sendSlice, waitStored } from './lib/yard-load.ts';
import { yardBodies } from './lib/yard-records.ts';
const rate = Number(process.argv[2] ?? 90000);
const toMs = Date.now();
const { bodies } = yardBodies(650, 1000, 10, toMs - 3_600_000, toMs);
const server = await startServer({ nodeArgs: ['--single-threaded-gc', ...(process.env.EXTRA ?? '').split(' ').filter(Boolean)], env: Object.fromEntries((process.env.SENV ?? '').split(' ').filter(Boolean).map((kv) => kv.split('='))) });
const agent = keepAliveAgent(1);
import { readdirSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
const KEEP = new Set((process.env.KEEP ?? 'WorkerThread,V8Worker').split(','));
const renice = () => {
  for (const tid of readdirSync(`/proc/${server.pid}/task`)) {
    if (Number(tid) === server.pid) continue;
    let name = '';
    try { name = readFileSync(`/proc/${server.pid}/task/${tid}/comm`, 'utf8').trim(); } catch { continue; }
    if ([...KEEP].some((k) => name.startsWith(k))) continue;
    try { setPriority(Number(tid), 10); } catch {}
  }
};
const timer = process.env.NICE ? setInterval(renice, 100) : undefined;
try {
  await sendSlice(server.port, '/api/v1/logs', bodies.slice(0, 50), 4, 60_000);
  await waitStored(server.port);
  const pick = (m: Map<string, number>) => Object.fromEntries([...m].filter(([k]) => /eventloop_lag|gc_duration_seconds_(sum|count)|wal_.*(fsync|append|commit)|ingest|insert_seconds_(sum|count)/.test(k)));
  const before = await scrape(agent, server.port);
  const res = await sendPaced(server.port, '/api/v1/logs', bodies.slice(50, 650), rate, 1000);
  const after = await scrape(agent, server.port);
  const s = [...res.latenciesMs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!.toFixed(1);
  console.log('rate', rate, 'p50', q(0.5), 'p90', q(0.9), 'p99', q(0.99), 'max', q(1));
  const a = pick(after), b = pick(before);
  for (const k of Object.keys(a).sort()) console.log(k, a[k], k in b ? `(before ${b[k]})` : '');
} finally {
  agent.destroy();
  if (timer) clearInterval(timer);
  await server.stop();
}
