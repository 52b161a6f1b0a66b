import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { buildApp } from './app.ts';

test('/healthz and /readyz answer what the operator says, 503 when it is failing', async () => {
  const state = { live: true, ready: false };
  const app = buildApp({ registry: new Registry(), probes: { live: () => state.live, ready: () => state.ready } });
  try {
    const status = async (url: string) => (await app.inject({ url })).statusCode;
    assert.deepEqual([await status('/healthz'), await status('/readyz')], [200, 503]);
    Object.assign(state, { live: false, ready: true });
    assert.deepEqual([await status('/healthz'), await status('/readyz')], [503, 200]);
    assert.equal(await status('/metrics'), 200);
  } finally {
    await app.close();
  }
});
