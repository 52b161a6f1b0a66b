import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { EmbeddedPipeline } from './app.ts';
import { eventually, startTestPipeline } from './test-pipeline.ts';

// Many tails at the largest filter allowed, polling far more often than the 250 ms default.
const TAILS = 40;
const CLAUSES = 20;
let p: EmbeddedPipeline;
let base: string;

before(async () => {
  p = await startTestPipeline({
    tailPollMs: 20,
    tailLimits: { maxPerTenant: TAILS, maxTotal: TAILS, maxClauses: CLAUSES, pollConcurrency: 2 },
  });
  await p.app.listen({ host: '127.0.0.1', port: 0 });
  const address = p.app.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const records = Array.from({ length: 2000 }, (_, i) =>
    JSON.stringify({ service: `svc-${i % 20}`, level: 'info', message: `searchable record ${i}` }),
  );
  const res = await fetch(`${base}/api/v1/logs`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson' },
    body: records.join('\n'),
  });
  assert.equal(res.status, 202);
});
after(() => p.close());

async function searchP50(): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const started = performance.now();
    const res = await fetch(
      `${base}/api/v1/logs?from=now-1h&q=${encodeURIComponent(`searchable AND service:svc-${i % 20}`)}&limit=50`,
    );
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)]!;
}

test('a crowd of tails with the largest allowed filters leaves searches fast', async (t) => {
  const alone = await searchP50();
  const q = Array.from({ length: CLAUSES }, (_, i) => `word${i}`).join(' OR ');
  const tails = Array.from(
    { length: TAILS },
    () => new WebSocket(`${base.replace('http', 'ws')}/api/v1/tail?q=${encodeURIComponent(q)}`),
  );
  let ready = 0;
  for (const ws of tails)
    ws.addEventListener('message', (e) => (ready += JSON.parse(String(e.data)).type === 'ready' ? 1 : 0));
  try {
    await eventually(async () => (ready === TAILS ? true : undefined), 20_000, 'every tail ready');
    const crowded = await searchP50();
    t.diagnostic(
      `search p50 ${alone.toFixed(1)} ms alone, ${crowded.toFixed(1)} ms beside ${TAILS} tails of ${CLAUSES} clauses polling every 20 ms`,
    );
    // Relative, so a slow machine slows both sides; with a poll slot per tail this measured ~280 ms against ~7 ms alone.
    assert.ok(
      crowded < alone * 3 + 50,
      `search p50 ${crowded.toFixed(0)} ms beside the tails, ${alone.toFixed(0)} ms alone`,
    );
  } finally {
    for (const ws of tails) ws.close();
  }
});
