// Where a processor should insert on a sharded ClickHouse: through the Distributed table (the store's
// way), or each batch straight into one shard's local table; one server as the baseline. Real libchdb
// servers on loopback (the test bed's cluster). Usage: node bench/cluster-insert.ts [records] [out.json]
import { writeFileSync } from 'node:fs';
import { createHttpTransport, createLogStore, type ClickHouseTransport, type LogStore } from '@instant-logs/store';
import { startClickHouseCluster, startClickHouseServer } from '@instant-logs/testbed';
import { liveRecords, storedLines } from './lib/records.ts';
import { cpuSeconds, load, machine, median, round } from './lib/stats.ts';

const [total = '400000', out = '/tmp/cluster-insert.json'] = process.argv.slice(2);
const RECORDS = Number(total);
const BATCH = 50_000; // the processor's BATCH_MAX_ROWS default
const ROUNDS = 3;
const DB = 'bench';

const [cluster, single] = await Promise.all([startClickHouseCluster({ shards: 2 }), startClickHouseServer()]);
const nodes = cluster.servers.map((s) => createHttpTransport({ url: s.url, requestTimeoutMs: 300_000 }));
const singleTransport = createHttpTransport({ url: single.url, requestTimeoutMs: 300_000 });
const sharded = createLogStore(nodes[0]!, DB, { cluster: { name: cluster.name, nodes } });
const one = createLogStore(singleTransport, DB);
await sharded.migrate();
await one.migrate();
const pids = { cluster: cluster.servers.map((s) => s.pid), single: [single.pid] };

const records = liveRecords(BATCH, 7);
/** Distinct batches for one variant's round: fresh ids each time, so no insert is a duplicate. */
const batches = () => Array.from({ length: RECORDS / BATCH }, () => Buffer.from(storedLines(records).join('\n')));

type Variant = { name: string; servers: number[]; insert: (batch: Buffer, i: number) => Promise<void> };
// The store's own insert settings: the words index built on insert, the others at merges.
const [indexes] = await nodes[0]!.query<{ others: string[] }>(
  `SELECT groupArray(name) AS others FROM system.data_skipping_indices
   WHERE database = '${DB}' AND table = 'logs_local' AND name != 'idx_words'`,
);
const localSettings = {
  materialize_skip_indexes_on_insert: 1,
  exclude_materialize_skip_indexes_on_insert: indexes!.others.join(','),
};
const direct = (node: ClickHouseTransport) => (batch: Buffer) =>
  node.insertJsonEachRow(`${DB}.logs_local`, batch, { settings: localSettings });
const viaStore = (store: LogStore) => (batch: Buffer) => store.insert(batch);
const variants: Variant[] = [
  { name: 'one server, logs (MergeTree)', servers: pids.single, insert: viaStore(one) },
  { name: '2 shards, through the Distributed table', servers: pids.cluster, insert: viaStore(sharded) },
  {
    name: "2 shards, each batch into one shard's logs_local",
    servers: pids.cluster,
    insert: (batch, i) => direct(nodes[i % nodes.length]!)(batch),
  },
];

const results = new Map<string, { rate: number[]; cpuUs: number[] }>(
  variants.map((v) => [v.name, { rate: [], cpuUs: [] }]),
);
const loadBefore = load();
for (let round = 0; round < ROUNDS; round++) {
  for (const v of variants) {
    const input = batches();
    const cpu0 = v.servers.reduce((n, pid) => n + cpuSeconds(pid), 0);
    const t0 = performance.now();
    for (const [i, batch] of input.entries()) await v.insert(batch, i);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = v.servers.reduce((n, pid) => n + cpuSeconds(pid), 0) - cpu0;
    results.get(v.name)!.rate.push(RECORDS / seconds);
    results.get(v.name)!.cpuUs.push((cpu * 1e6) / RECORDS);
  }
}
const summary = variants.map((v) => {
  const r = results.get(v.name)!;
  return {
    variant: v.name,
    recordsPerSecond: round(median(r.rate), 0),
    serverCpuUsPerRecord: round(median(r.cpuUs), 2),
  };
});
console.table(summary);
writeFileSync(
  out,
  JSON.stringify(
    { machine: machine(), loadBefore, loadAfter: load(), records: RECORDS, batch: BATCH, rounds: ROUNDS, summary },
    null,
    2,
  ),
);
await Promise.all([...nodes, singleTransport].map((t) => t.close()));
await Promise.all([cluster.stop(), single.stop()]);
