// VictoriaLogs' own per-column sizes for the yardstick's records (its `block_stats` pipe), to set
// beside bench/disk-per-record.ts: 1M records, the same generator, seed and ingest parameters as
// the yardstick, force-flushed and force-merged. Usage: node bench/vl-columns.ts [records=1000000]
import { startVictoriaLogs, victoriaLogsBinary, VICTORIA_LOGS_INGEST, waitOnDisk } from './lib/victoria-logs.ts';
import { dayPartitions } from './lib/yard-merge.ts';
import { yardBodies } from './lib/yard-records.ts';
import { load, round } from './lib/stats.ts';

const RECORDS = Number(process.argv[2] ?? 1_000_000);
const toMs = Math.floor(Date.now() / 60_000) * 60_000;
const { bodies, facts } = yardBodies(RECORDS / 1000, 1000, 10, toMs - 3_600_000, toMs);
const binary = await victoriaLogsBinary();
const vl = await startVictoriaLogs(binary.path);
try {
  const base = `http://127.0.0.1:${vl.port}`;
  for (const body of bodies) {
    const res = await fetch(`${base}${VICTORIA_LOGS_INGEST}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/x-ndjson' },
    });
    if (!res.ok) throw new Error(`VictoriaLogs answered ${res.status}`);
    await res.arrayBuffer();
  }
  await fetch(`${base}/internal/force_flush`).then((r) => r.arrayBuffer());
  await waitOnDisk(vl.port);
  for (const day of dayPartitions(facts.fromMs, facts.toMs + 1))
    await fetch(`${base}/internal/force_merge?partition_prefix=${day}`).then((r) => r.arrayBuffer());
  const deadline = Date.now() + 120_000;
  while (
    !dayPartitions(facts.fromMs, facts.toMs + 1).every((d) =>
      vl.output().includes(`forced merge for partition_prefix="${d}" has been successfully finished`),
    )
  ) {
    if (Date.now() > deadline) throw new Error('VictoriaLogs forced merge did not finish');
    await new Promise((r) => setTimeout(r, 200));
  }
  const query =
    '* | block_stats | stats by (field) sum(values_bytes) values, sum(bloom_bytes) bloom, sum(dict_bytes) dict | sort by (values desc)';
  const params = new URLSearchParams({
    query,
    start: new Date(facts.fromMs).toISOString(),
    end: new Date(facts.toMs + 1).toISOString(),
  });
  const text = await (await fetch(`${base}/select/logsql/query?${params}`)).text();
  console.log('| field | values B/record | bloom B/record | dict B/record |\n|---|---:|---:|---:|');
  for (const line of text.split('\n').filter(Boolean)) {
    const r = JSON.parse(line) as Record<string, string>;
    const per = (k: string) => round(Number(r[k] ?? 0) / facts.records, 2);
    console.log(`| ${r['field']} | ${per('values')} | ${per('bloom')} | ${per('dict')} |`);
  }
  console.log(`${facts.records} records, load ${load().join(' ')}`);
} finally {
  await vl.stop();
}
