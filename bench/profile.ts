// Phase 5a: where the server's JS thread spends its time under sustained ingest: the real embedded
// server under `node --cpu-prof`, summarised by self time. Usage: node bench/profile.ts <out.json>
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { summarizeProfile, type CpuProfile } from './lib/cpuprofile.ts';
import { prepareLoad } from './lib/load.ts';
import { EMBEDDED_NODE_ARGS, startServer } from './lib/server.ts';
import { coreMeter, round } from './lib/stats.ts';

const [out = '/tmp/profile.json', connections = '8'] = process.argv.slice(2);
const WINDOW_MS = 12_000;

const dir = mkdtempSync(join(tmpdir(), 'idl-bench-prof-'));
const server = await startServer({ nodeArgs: [...EMBEDDED_NODE_ARGS, '--cpu-prof', '--cpu-prof-dir', dir] });
const loadRun = await prepareLoad({
  port: server.port,
  connections: Number(connections),
  perBody: 1000,
  bodies: 64,
  seed: 11,
  warmupMs: 3000,
  durationMs: WINDOW_MS,
});
const cores = coreMeter(server.pid);
const result = await loadRun.run();
const serverCores = cores();
const stopping = performance.now();
await server.stop();
const stopMs = performance.now() - stopping;

const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error(`No .cpuprofile written in ${dir}`);
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
rmSync(dir, { recursive: true, force: true });
const summary = summarizeProfile(profile, WINDOW_MS, stopMs);
writeFileSync(
  out,
  JSON.stringify(
    {
      recordsPerS: Math.round(result.records / (result.windowMs / 1000)),
      serverCores: round(serverCores, 2),
      windowS: WINDOW_MS / 1000,
      ...summary,
    },
    null,
    2,
  ),
);
