// The insert CPU of schema version 3 against 2, and of building skip indexes on insert: 200k of the
// yardstick's records, queued as the collector queues them, inserted in 40k-row batches into fresh
// tables with merges stopped — schema 2 as main inserts (no index on insert), schema 3 with no
// index, every index, only the words index, and the words index with the message's bloom filter built on insert — round-robin 4 times so other load
// falls on each alike; process CPU µs/record.
// Usage: node bench/insert-index-cost.ts <empty chdb dir>
import { QUEUED_COLUMNS } from '@instant-logs/schema';
import { createChdbTransport, migrate, QUEUED_READ_AS } from '@instant-logs/store';
import { normalisedRecords, queuedBatches } from './lib/in-process.ts';
import { yardBodies } from './lib/yard-records.ts';
import { cpuSeconds, load, median, round } from './lib/stats.ts';

const [dir] = process.argv.slice(2);
if (!dir) throw new Error('Usage: node bench/insert-index-cost.ts <empty chdb dir>');
const RECORDS = 200_000;
const CASES: { db: string; version?: number; settings: Record<string, string | number> }[] = [
  { db: 'schema2', version: 2, settings: { materialize_skip_indexes_on_insert: 0 } },
  { db: 'none', settings: { materialize_skip_indexes_on_insert: 0 } },
  { db: 'every', settings: { materialize_skip_indexes_on_insert: 1 } },
  {
    db: 'words',
    settings: {
      materialize_skip_indexes_on_insert: 1,
      exclude_materialize_skip_indexes_on_insert:
        'idx_body_tokens,idx_attribute_keys,idx_attribute_values,idx_resource_keys,idx_resource_values,idx_trace_id',
    },
  },
  {
    db: 'words_tokens',
    settings: {
      materialize_skip_indexes_on_insert: 1,
      exclude_materialize_skip_indexes_on_insert:
        'idx_attribute_keys,idx_attribute_values,idx_resource_keys,idx_resource_values,idx_trace_id',
    },
  },
];

const transport = createChdbTransport({ path: dir });
for (const c of CASES) await migrate(transport, c.db, c.version);
await transport.close();

const toMs = Date.now();
const { bodies } = yardBodies(RECORDS / 1000, 1000, 10, toMs - 3_600_000, toMs);
const batches = [...queuedBatches(normalisedRecords(bodies, toMs, 6.5), 40_000)];

// The store's own insert path (spool file, values read as plain types), each case's index settings on top.
const inserter = createChdbTransport({ path: dir });
for (const c of CASES) await inserter.command(`SYSTEM STOP MERGES ${c.db}.logs`);
const cpu = new Map(CASES.map((c) => [c.db, [] as number[]]));
const loadBefore = load();
for (let rep = 0; rep < 4; rep++) {
  for (const c of CASES) {
    const cpu0 = cpuSeconds('self');
    for (const values of batches) {
      await inserter.insertJsonEachRow(`${c.db}.logs`, values, {
        settings: { insert_deduplicate: 0, ...c.settings },
        columns: QUEUED_COLUMNS,
        readAs: QUEUED_READ_AS,
      });
    }
    cpu.get(c.db)!.push(((cpuSeconds('self') - cpu0) * 1e6) / RECORDS);
  }
}
await inserter.close();
for (const [db, us] of cpu)
  console.log(`${db}: median ${median(us)} µs/record (${us.map((x) => round(x, 2)).join(', ')})`);
console.log(`load ${loadBefore.join(' ')} before, ${load().join(' ')} after`);
