// What API keys and tenancy cost on the query path (and on ingest), against the embedded server:
//   1. auth off, one tenant's data;
//   2. a hashed keys file of 1,000 keys, the same data as one tenant (1 and 2 alternate, ROUNDS times);
//   3. the last keyed server after 9 other tenants stored as much again each (10× the rows in the table);
// plus the CPU of one keyring lookup, in process.
// Each query runs sequentially after a warm-up; latencies are HTTP round trips on 127.0.0.1.
// Usage: node bench/auth-overhead.ts <out.json>
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileKeyring, issueKey, writeKeysFile } from '@instant-logs/service-kit';
import { keepAliveAgent, request } from './lib/http.ts';
import { ndjsonBodies } from './lib/records.ts';
import { startServer, type ServerHandle } from './lib/server.ts';
import { load, summarize } from './lib/stats.ts';

const [out = '/tmp/auth-overhead.json'] = process.argv.slice(2);
const TENANTS = 10;
const KEYS = 1000;
const RECORDS_PER_TENANT = 200_000;
const RUNS = 60;
const ROUNDS = 2;
const QUERIES = [
  { name: 'search "timeout", 100 newest', path: '/api/v1/logs?from=now-2h&q=timeout&limit=100' },
  {
    name: 'search level:error service:checkout',
    path: '/api/v1/logs?from=now-2h&q=level:error%20service:checkout&limit=100',
  },
  { name: 'histogram, 2 h', path: '/api/v1/logs/histogram?from=now-2h' },
  { name: 'facets, 2 h', path: '/api/v1/facets?from=now-2h' },
];

/** A keys file as the keys CLI writes it (only SHA-256 digests); returns one usable token per tenant. */
async function keysFile(dir: string): Promise<{ path: string; tokens: string[] }> {
  const keys = [];
  const tokens: string[] = [];
  for (let i = 0; i < KEYS; i++) {
    const { token, entry } = issueKey(`t${i % TENANTS}`, ['ingest', 'query'], `bench-${i}`, new Date());
    if (i < TENANTS) tokens.push(token);
    keys.push(entry);
  }
  const path = join(dir, 'keys.json');
  await writeKeysFile(path, { version: 1, keys });
  return { path, tokens };
}

/** Sends the same RECORDS_PER_TENANT records once, over 4 connections, and times it until every 202. */
async function ingest(server: ServerHandle, token: string | undefined, seed: number) {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const bodies = ndjsonBodies(RECORDS_PER_TENANT / 1000, 1000, seed);
  const agent = keepAliveAgent(4);
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++]!;
        const started = performance.now();
        const res = await request(agent, server.port, 'POST', '/api/v1/logs', body, headers);
        if (res.status !== 202) throw new Error(`ingest: HTTP ${res.status} ${res.text.slice(0, 200)}`);
        latencies.push(performance.now() - started);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return {
    records: RECORDS_PER_TENANT,
    recordsPerS: Math.round(RECORDS_PER_TENANT / seconds),
    ackMs: summarize(latencies),
  };
}

async function queryLatencies(server: ServerHandle, token: string | undefined) {
  const agent = keepAliveAgent(1);
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const results = [];
  for (const q of QUERIES) {
    const times: number[] = [];
    for (let i = 0; i < RUNS + 5; i++) {
      const t0 = performance.now();
      const res = await request(agent, server.port, 'GET', q.path, undefined, headers);
      if (res.status !== 200) throw new Error(`${q.name}: HTTP ${res.status} ${res.text.slice(0, 200)}`);
      if (i >= 5) times.push(performance.now() - t0);
    }
    results.push({ query: q.name, ms: summarize(times) });
  }
  agent.destroy();
  return results;
}

/** In-process: what one keyring lookup costs (parse the token, find its id, hash, compare). */
async function lookupCost(path: string, token: string) {
  const keyring = await createFileKeyring(path, { reloadMs: 0 });
  const time = (presented: string) => {
    const n = 100_000;
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) keyring.authenticate(presented);
    const used = process.cpuUsage(t0);
    return Math.round(((used.user + used.system) / n) * 100) / 100;
  };
  time(token); // warm-up
  const result = { knownKeyUs: time(token), unknownKeyUs: time(`${token.slice(0, -4)}AAAA`) };
  keyring.close();
  return result;
}

const dir = mkdtempSync(join(tmpdir(), 'idl-bench-auth-'));
const keys = await keysFile(dir);
const report: Record<string, unknown> = {
  tenants: TENANTS,
  keysInFile: KEYS,
  recordsPerTenant: RECORDS_PER_TENANT,
  runsPerQuery: RUNS,
  rounds: ROUNDS,
};
report['lookupCpuUs'] = await lookupCost(keys.path, keys.tokens[0]!);

// Auth off and on alternate on fresh servers, the first to run swapping each round, so drift in
// the machine's load and any cost of going second fall on both alike.
async function measureCase(keyed: boolean, last: boolean) {
  const server = keyed ? await startServer({ env: { API_KEYS_FILE: keys.path } }) : await startServer();
  const token = keyed ? keys.tokens[0] : undefined;
  try {
    const result = {
      ingest: await ingest(server, token, 1),
      queries: await queryLatencies(server, token),
      load: load(),
    };
    if (keyed && last) {
      for (let t = 1; t < TENANTS; t++) await ingest(server, keys.tokens[t], 1 + t);
      report['authOnTenTenants'] = { queries: await queryLatencies(server, token), load: load() };
    }
    return result;
  } finally {
    await server.stop();
  }
}
const rounds: { authOff: unknown; authOn: unknown; first: string }[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const last = round === ROUNDS - 1;
  if (round % 2 === 0) {
    const authOff = await measureCase(false, last);
    rounds.push({ first: 'auth off', authOff, authOn: await measureCase(true, last) });
  } else {
    const authOn = await measureCase(true, last);
    rounds.push({ first: 'keys', authOn, authOff: await measureCase(false, last) });
  }
}
report['rounds'] = rounds;
writeFileSync(out, JSON.stringify(report, null, 2));
