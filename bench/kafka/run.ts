// `node bench/kafka/run.ts`: the Kafka path's numbers (issue 3): sustained throughput, ack latency,
// ingest→queryable, consumer-lag recovery after a 60 s ClickHouse outage, exactly-once at the end,
// CPU per record per process and a CPU profile of collector and processor. Writes
// bench/results/kafka.{json,md}. All traffic stays on 127.0.0.1; every wait has a deadline.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { summarizeProfile, type CpuProfile } from '../lib/cpuprofile.ts';
import {
  cpuPressure,
  cpuSeconds,
  load,
  machine,
  machineMeter,
  roleCpu,
  round,
  summarize,
  tidCpu,
  usPerRecordByRole,
  usPerRecordByThreadName,
} from '../lib/stats.ts';
import { DATABASE, pollUntil, prepareKafkaLoad, startPipeline } from './pipeline.ts';
import { renderKafkaReport } from './report.ts';
import type { Sent } from './load-worker.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const OUTAGE_MS = Number(process.env['OUTAGE_MS'] ?? 60_000);
const RECOVER_MS = Number(process.env['RECOVER_MS'] ?? 60_000);
const work = mkdtempSync(join(tmpdir(), 'idl-bench-kafka-'));
const profDir = join(work, 'prof');
const started = Date.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (s: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${s} (load ${load().join(' ')})`);
const acked = (sent: Sent[], perBody: number) => sent.filter((s) => s[2] === 202).length * perBody;
const statuses = (sent: Sent[]) =>
  sent.reduce<Record<string, number>>((m, s) => ((m[s[2]] = (m[s[2]] ?? 0) + 1), m), {});
const results: Record<string, unknown> = { machine: machine() };
let expected = 0; // every record acknowledged (202) so far

log('Starting broker, ClickHouse, collector, processor, query');
const p = await startPipeline(work, `--cpu-prof --cpu-prof-dir=${profDir}`);
const count = async () => Number(await p.sql(`SELECT count() FROM ${DATABASE}.logs`));
const drain = async (timeoutMs: number) => {
  const t0 = Date.now();
  const ok = await pollUntil(async () => ((await count()) >= expected ? true : undefined), timeoutMs, 100);
  return {
    drainedS: round((Date.now() - t0) / 1000),
    stored: await count().catch(() => NaN),
    expected,
    complete: ok === true,
  };
};
let phase1End = 0;
try {
  // 1. Sustained closed-loop throughput: 8 connections × 1000-record NDJSON bodies, 5 s warm-up, 20 s window.
  log('Phase 1: sustained throughput');
  const WARM = 5000;
  const WINDOW = 20_000;
  const load1 = await prepareKafkaLoad({
    port: Number(new URL(p.collector.url).port),
    connections: 8,
    perBody: 1000,
    bodies: 64,
    seed: 42,
    durationMs: WARM + WINDOW,
  });
  const t0 = Date.now();
  const running = load1.run();
  await sleep(WARM);
  const cpu0: Record<string, number> = { ...p.cpu(), loadGenerator: cpuSeconds('self') };
  const threads0 = { collector: roleCpu(p.collector.pid), processor: roleCpu(p.processor.pid) };
  // The broker's and ClickHouse's threads by name (pools numbered alike counted together).
  const named0 = { brokerJvm: tidCpu(p.brokerPid), clickhouse: tidCpu(p.clickhouse.pid) };
  const c0 = await count();
  const machineCores = machineMeter();
  const storedSeries: [number, number][] = [];
  const sampler = setInterval(
    () =>
      void count().then(
        (c) => storedSeries.push([round((Date.now() - t0) / 1000), c]),
        () => {},
      ),
    1000,
  );
  await sleep(WINDOW);
  const ws = t0 + WARM;
  const we = Date.now();
  const cpu1: Record<string, number> = { ...p.cpu(), loadGenerator: cpuSeconds('self') };
  const threads1 = { collector: roleCpu(p.collector.pid), processor: roleCpu(p.processor.pid) };
  const named1 = { brokerJvm: tidCpu(p.brokerPid), clickhouse: tidCpu(p.clickhouse.pid) };
  const [c1, cores] = [await count(), machineCores()];
  const sent1 = await running;
  clearInterval(sampler);
  phase1End = Date.now();
  expected += acked(sent1, 1000);
  const inWindow = sent1.filter(([s, ms]) => s >= ws && s + ms <= we);
  const acceptedInWindow = inWindow.filter((s) => s[2] === 202).length * 1000;
  const stored1 = c1 - c0;
  const drain1 = await drain(60_000);
  const windowS = (we - ws) / 1000;
  const cpuPerRecordUs = Object.fromEntries(
    Object.keys(cpu0).map((k) => [k, round(((cpu1[k]! - cpu0[k]!) / Math.max(1, stored1)) * 1e6, 2)]),
  );
  const coresBy = Object.fromEntries(Object.keys(cpu0).map((k) => [k, round((cpu1[k]! - cpu0[k]!) / windowS, 2)]));
  const sustained = {
    connections: 8,
    recordsPerRequest: 1000,
    windowS: round(windowS),
    acceptedPerS: Math.round(acceptedInWindow / windowS),
    storedPerS: Math.round(stored1 / windowS),
    ackMs: summarize(inWindow.filter((s) => s[2] === 202).map((s) => s[1])),
    statuses: statuses(sent1),
    storedSeries,
    drainAfterLoad: drain1,
    coresByProcess: coresBy,
    machineCores: cores,
    cpuPerStoredRecordUs: cpuPerRecordUs,
    cpuPerStoredRecordUsByThread: {
      collector: usPerRecordByRole(threads0.collector, threads1.collector, Math.max(1, stored1)),
      processor: usPerRecordByRole(threads0.processor, threads1.processor, Math.max(1, stored1)),
      brokerJvm: usPerRecordByThreadName(named0.brokerJvm, named1.brokerJvm, Math.max(1, stored1)),
      clickhouse: usPerRecordByThreadName(named0.clickhouse, named1.clickhouse, Math.max(1, stored1)),
    },
    load: load(),
    cpuPressure: cpuPressure(),
  };
  results['sustained'] = sustained;
  log(
    `Phase 1: accepted ${sustained.acceptedPerS}/s stored ${sustained.storedPerS}/s ack p50 ${sustained.ackMs.p50} p99 ${sustained.ackMs.p99} ms; cores ${JSON.stringify(coresBy)}`,
  );
  const maxPerS = Math.max(10_000, Math.min(sustained.acceptedPerS, sustained.storedPerS));

  // 2. Ingest→queryable: single-record markers through collector → Kafka → processor → ClickHouse → query, under paced background at ~1/3 of max.
  log('Phase 2: ingest→queryable');
  const bgRate = Math.max(5, Math.round(maxPerS / 3 / 1000));
  const bg = await prepareKafkaLoad({
    port: Number(new URL(p.collector.url).port),
    connections: 4,
    perBody: 1000,
    bodies: 32,
    seed: 7,
    durationMs: 90_000,
    ratePerSecond: bgRate,
  });
  const bgRun = bg.run();
  await sleep(2000);
  const ackMs: number[] = [];
  const visibleMs: number[] = [];
  let polls = 0;
  for (let i = 0; i < 40; i++) {
    const marker = `mk${randomBytes(8).toString('hex')}`;
    const t = performance.now();
    const res = await fetch(`${p.collector.url}/api/v1/logs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'bench-probe', level: 'info', message: `queryable probe ${marker}` }),
    });
    await res.body?.cancel();
    if (res.status !== 202) throw new Error(`Marker refused: HTTP ${res.status}`);
    expected += 1;
    ackMs.push(performance.now() - t);
    for (;;) {
      const q = await fetch(`${p.query.url}/api/v1/logs?q=${marker}&limit=1`);
      const body = (await q.json()) as { records?: unknown[] };
      if ((body.records?.length ?? 0) > 0) break;
      if (performance.now() - t > 30_000) throw new Error(`Marker ${marker} not queryable after 30 s`);
      polls++;
      await sleep(5);
    }
    visibleMs.push(performance.now() - t);
    await sleep(100);
  }
  bg.stop();
  const bgSent = await bgRun;
  expected += acked(bgSent, 1000);
  results['queryable'] = {
    markers: 40,
    backgroundRecordsPerS: bgRate * 1000,
    backgroundStatuses: statuses(bgSent),
    backgroundAckMs: summarize(bgSent.filter((x) => x[2] === 202).map((x) => x[1])),
    ackMs: summarize(ackMs),
    queryableMs: summarize(visibleMs),
    pollsAfterAck: polls,
    load: load(),
  };
  log(`Phase 2: queryable p50 ${summarize(visibleMs).p50} p99 ${summarize(visibleMs).p99} ms`);
  results['drainBeforeOutage'] = await drain(60_000);

  // 3. Lag recovery: paced ingest at ~half of max plus a marker stream; ClickHouse SIGKILLed for OUTAGE_MS, restarted on the same dir and port.
  log('Phase 3: ClickHouse outage');
  const steadyRate = Math.max(5, Math.round(maxPerS / 2 / 1000));
  const steady = await prepareKafkaLoad({
    port: Number(new URL(p.collector.url).port),
    connections: 8,
    perBody: 1000,
    bodies: 64,
    seed: 9,
    durationMs: 400_000,
    ratePerSecond: steadyRate,
  });
  const steadyRun = steady.run();
  const markersAcked = new Set<string>();
  const markerAcks: number[] = []; // epoch ms of each 202 for a 50-marker request
  const markerStatuses: Record<string, number> = {};
  let markersOn = true;
  let nextMarker = 0;
  const markerLoop = (async () => {
    while (markersOn) {
      const ids = Array.from({ length: 50 }, () => `lag-${nextMarker++}`);
      const body = ids
        .map((m, i) =>
          JSON.stringify({
            service: `svc-${i % 8}`,
            level: 'info',
            message: `handled ${m}`,
            attributes: { marker: m },
          }),
        )
        .join('\n');
      const res = await fetch(`${p.collector.url}/api/v1/logs`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-ndjson' },
        body,
        signal: AbortSignal.timeout(20_000),
      }).catch(() => null);
      await res?.body?.cancel();
      markerStatuses[res?.status ?? 0] = (markerStatuses[res?.status ?? 0] ?? 0) + 1;
      if (res?.status === 202) {
        for (const m of ids) markersAcked.add(m);
        markerAcks.push(Date.now());
      }
      await sleep(100);
    }
  })();
  const base = expected; // everything before this phase is stored (drained above)
  const t3 = Date.now();
  // [s since t3, summed lag gauge (messages), ClickHouse count (NaN while it is down), epoch ms]
  const series: [number, number, number, number][] = [];
  let sampling = true;
  const sampler3 = (async () => {
    while (sampling) {
      const at = Date.now();
      const [lag, stored] = await Promise.all([p.lag().catch(() => NaN), count().catch(() => NaN)]);
      series.push([round((at - t3) / 1000), lag, stored, at]);
      await sleep(500);
    }
  })();
  await sleep(10_000);
  const baseline = series.map((s) => s[1]).filter(Number.isFinite);
  const threshold = Math.max(10, Math.max(...baseline) * 2);
  const tKill = Date.now();
  await p.killClickHouse();
  log(`Phase 3: ClickHouse killed; baseline lag max ${Math.max(...baseline)} messages`);
  await sleep(OUTAGE_MS - (Date.now() - tKill));
  await p.restartClickHouse();
  const tBack = Date.now();
  log('Phase 3: ClickHouse back; steady ingest goes on for RECOVER_MS');
  await sleep(RECOVER_MS);
  steady.stop();
  markersOn = false;
  const steadySent = await steadyRun;
  await markerLoop;
  const tStop = Date.now();
  expected += acked(steadySent, 1000) + markersAcked.size;
  const drain3 = await drain(120_000).catch(() => null);
  sampling = false;
  await sampler3;
  // Ground truth in records: acknowledged by time t (202 received) minus stored at t.
  const ackTimes = [
    ...steadySent.filter((x) => x[2] === 202).map((x) => [x[0] + x[1], 1000]),
    ...markerAcks.map((t) => [t, 50]),
  ].sort((a, b) => a[0]! - b[0]!);
  const ackedBy = (t: number) => ackTimes.reduce((n, [at, k]) => (at! <= t ? n + k! : n), 0);
  const backlog = series.map(
    ([s, lag, stored, at]) =>
      [s, lag, Number.isFinite(stored) ? base + ackedBy(at) - stored : NaN] as [number, number, number],
  );
  const before = backlog.filter((b) => b[0] * 1000 + t3 < tKill && Number.isFinite(b[2])).map((b) => b[2]);
  const backlogThreshold = Math.max(20_000, 2 * Math.max(...before));
  // Recovered: from this sample on, 4 consecutive samples (2 s) at or below the threshold, while ingest still runs.
  const recoveredAt = (col: 1 | 2, limit: number) => {
    const after = backlog.filter((b) => b[0] * 1000 + t3 >= tBack && b[0] * 1000 + t3 <= tStop);
    const i = after.findIndex(
      (_, j) =>
        after.slice(j, j + 4).length === 4 &&
        after.slice(j, j + 4).every((b) => Number.isFinite(b[col]) && b[col] <= limit),
    );
    return i < 0 ? null : round(after[i]![0] - (tBack - t3) / 1000);
  };
  const series3 = backlog;
  const recovered = recoveredAt(2, backlogThreshold);
  const recoveredGauge = recoveredAt(1, threshold);
  // After the restart: how long until the backlog peaks (nothing or little stored: the processor's retry backoff), then the catch-up store rate.
  const backS = (tBack - t3) / 1000;
  const after = series
    .map((x, i) => [x, backlog[i]![2]] as const)
    .filter(([x, b]) => x[0] >= backS && Number.isFinite(b));
  const peakAfter = after.reduce((m, a) => (a[1] > m[1] ? a : m), after[0]!);
  const recSample = recovered === null ? after.at(-1)! : after.find(([x]) => x[0] >= backS + recovered!)!;
  const catchUp = {
    stallAfterRestartS: round(peakAfter[0][0] - backS),
    storedPerSDuringCatchUp: Math.round(
      (recSample[0][2] - peakAfter[0][2]) / ((recSample[0][3] - peakAfter[0][3]) / 1000),
    ),
    gaugeZeroWhileBehindSamples: backlog.filter((b) => b[1] === 0 && b[2] > 20_000).length,
  };
  const peak = series3.reduce((m, s) => (s[1] > m[1] ? s : m), [0, 0, 0]);
  const peakBacklog = Math.max(...series3.map((s) => s[2]).filter(Number.isFinite));
  const outageSecs = (tBack - tKill) / 1000;

  const [total, distinctIds] = (await p.sql(`SELECT count(), uniqExact(id) FROM ${DATABASE}.logs`))
    .split('\t')
    .map(Number);
  const [markerRows, markerDistinct] = (
    await p.sql(
      `SELECT count(), uniqExact(attributes['marker']) FROM ${DATABASE}.logs WHERE startsWith(attributes['marker'], 'lag-')`,
    )
  )
    .split('\t')
    .map(Number);
  const storedMarkers = new Set(
    (
      await p.sql(
        `SELECT DISTINCT attributes['marker'] FROM ${DATABASE}.logs WHERE startsWith(attributes['marker'], 'lag-')`,
      )
    ).split('\n'),
  );
  const missingMarkers = [...markersAcked].filter((m) => !storedMarkers.has(m)).length;
  results['lagRecovery'] = {
    ingestRecordsPerS: steadyRate * 1000,
    outageS: round(outageSecs),
    baselineLagMaxMessages: Math.max(...baseline),
    recoveredThresholdMessages: threshold,
    recoveredThresholdRecords: backlogThreshold,
    baselineBacklogMaxRecords: Math.max(...before),
    peakBacklogRecords: peakBacklog,
    recoveryGaugeS: recoveredGauge,
    stoppedIngestAtS: round((tStop - t3) / 1000),
    peakLagMessages: peak[1],
    peakAtS: peak[0],
    killedAtS: round((tKill - t3) / 1000),
    backAtS: round((tBack - t3) / 1000),
    recoveryS: recovered,
    catchUp,
    steadyStatuses: statuses(steadySent),
    steadyAckMsBeforeOutage: summarize(steadySent.filter((x) => x[2] === 202 && x[0] < tKill).map((x) => x[1])),
    steadyAckMsDuringOutage: summarize(
      steadySent.filter((x) => x[2] === 202 && x[0] >= tKill && x[0] < tBack).map((x) => x[1]),
    ),
    markerStatuses,
    series: series3,
    drain: drain3,
    exactlyOnce: {
      expectedAcknowledged: expected,
      storedRows: total,
      distinctIds,
      duplicateRows: total! - distinctIds!,
      missingAcknowledged: Math.max(0, expected - distinctIds!),
      markersAcknowledged: markersAcked.size,
      markerRows,
      markerDistinct,
      markersMissing: missingMarkers,
      nonAckedRequests:
        [sent1, bgSent, steadySent].flat().filter((s) => s[2] !== 202).length +
        Object.entries(markerStatuses)
          .filter(([k]) => k !== '202')
          .reduce((n, [, v]) => n + v, 0),
    },
    load: load(),
  };
  log(
    `Phase 3: peak lag ${peak[1]} at ${peak[0]} s, backlog peak ${peakBacklog} records, recovery ${recovered} s (gauge ${recoveredGauge} s); stored ${total} distinct ${distinctIds} expected ${expected}`,
  );
  results['processorLog'] = p.processor
    .output()
    .split('\n')
    .filter((l) => /crash|rebalanc|error|paus|resum|retry/i.test(l))
    .slice(-40)
    .map((l) => l.slice(0, 400));
} catch (err) {
  results['error'] = String((err as Error).stack ?? err);
  console.error(err);
} finally {
  const stopAt = Date.now();
  await p.stop().catch((err: Error) => console.error(`Stop failed: ${err.message}`));
  const exitedAt = Date.now();
  // 4b. Profiles: the phase-1 window (20 s ending at phase1End) out of each whole-run profile.
  const profiles: Record<string, unknown> = {};
  try {
    for (const f of readdirSync(profDir).filter((n) => n.endsWith('.cpuprofile'))) {
      // CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile: thread 0 is the event loop, 1 the collector's ingest thread.
      const [pid, thread] = [Number(f.split('.')[3]), Number(f.split('.')[4])];
      const service = pid === p.collector.pid ? 'collector' : pid === p.processor.pid ? 'processor' : `pid ${pid}`;
      const name = `${service} ${thread === 0 ? 'event loop' : `thread ${thread}`}`;
      const profile = JSON.parse(readFileSync(join(profDir, f), 'utf8')) as CpuProfile;
      const endSkipMs = (service === 'collector' ? stopAt : exitedAt) - phase1End;
      if (phase1End) profiles[name] = summarizeProfile(profile, 20_000, Math.max(0, endSkipMs), 12);
    }
  } catch (err) {
    profiles['error'] = String(err);
  }
  results['profiles'] = profiles;
  const full = {
    date: new Date(started).toISOString(),
    command: 'node bench/kafka/run.ts',
    durationS: round((Date.now() - started) / 1000),
    ...results,
    loadAtEnd: load(),
    cpuPressureAtEnd: cpuPressure(),
  };
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench/results/kafka.json'), `${JSON.stringify(full, null, 2)}\n`);
  writeFileSync(join(ROOT, 'bench/results/kafka.md'), renderKafkaReport(full));
  rmSync(work, { recursive: true, force: true });
  log(`Wrote bench/results/kafka.json and kafka.md in ${full.durationS} s`);
}
