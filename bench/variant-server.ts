// A bench-only embedded server: the same buildEmbeddedPipeline as services/embedded/src/main.ts,
// with knobs for what the real one does not expose, so their effect can be measured end to end.
// Env (besides HOST, PORT, DATA_DIR): BENCH_MAX_ROWS, BENCH_MAX_WAIT_MS (processor options),
// BENCH_DROP_INDEXES (comma-separated skip indexes dropped after migration), BENCH_SPLIT (each
// batch written as this many parallel inserts on separate sessions), BENCH_INSERT_SETTINGS
// ("name=value,…" added to every insert).
import { randomUUID } from 'node:crypto';
import { Session } from 'chdb';
import { buildEmbeddedPipeline } from '@instant-logs/embedded';
import { parseApiKeys } from '@instant-logs/service-kit';
import { createChdbTransport, createLogStore, type LogStore } from '@instant-logs/store';

const env = process.env;
const dataDir = env['DATA_DIR']!;
const transport = createChdbTransport({ path: dataDir });
const base = createLogStore(transport, 'instant_logs');
await base.migrate();
for (const index of (env['BENCH_DROP_INDEXES'] ?? '').split(',').filter(Boolean))
  await transport.command(`ALTER TABLE instant_logs.logs DROP INDEX ${index}`);

/** Splits JSONEachRow text into `k` pieces at line ends. */
function splitLines(text: string, k: number): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let j = 1; j < k; j++) {
    const end = text.indexOf('\n', Math.max(start, Math.floor((text.length * j) / k)));
    if (end === -1) break;
    parts.push(text.slice(start, end));
    start = end + 1;
  }
  parts.push(text.slice(start));
  return parts.filter((p) => p.length > 0);
}

const split = Number(env['BENCH_SPLIT'] ?? 1);
const extraSettings = Object.fromEntries(
  (env['BENCH_INSERT_SETTINGS'] ?? '')
    .split(',')
    .filter(Boolean)
    .map((kv) => kv.split('=') as [string, string]),
);
let store: LogStore = base;
if (split > 1 || Object.keys(extraSettings).length > 0) {
  // Same connection arguments and insert settings as the chdb transport; one session per piece.
  const sessions = Array.from(
    { length: split },
    () => new Session(dataDir, { connectionArgs: ['--output_format_json_quote_64bit_integers=1', '--async_insert=0'] }),
  );
  store = {
    ...base,
    async insert(rows, options) {
      const token = options?.dedupToken ?? randomUUID();
      await Promise.all(
        splitLines(rows.toString(), split).map((piece, j) =>
          sessions[j]!.insert({
            table: 'instant_logs.logs',
            values: Buffer.from(piece),
            format: 'JSONEachRow',
            settings: {
              async_insert: 0,
              date_time_input_format: 'best_effort',
              ...extraSettings,
              insert_deduplication_token: `${token}-${j}`,
            },
          }),
        ),
      );
    },
  };
}

const processor: Record<string, number> = {};
if (env['BENCH_MAX_ROWS']) processor['maxRows'] = Number(env['BENCH_MAX_ROWS']);
if (env['BENCH_MAX_WAIT_MS']) processor['maxWaitMs'] = Number(env['BENCH_MAX_WAIT_MS']);
const pipeline = buildEmbeddedPipeline({ store, keyring: parseApiKeys(''), processor, defaultMetrics: true });
await pipeline.app.listen({ host: '127.0.0.1', port: Number(env['PORT'] ?? 0) });
const address = pipeline.app.server.address();
console.log(`  Dashboard   http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/`);

process.on('SIGTERM', async () => {
  await pipeline.close();
  await transport.close();
  process.exit(0);
});
