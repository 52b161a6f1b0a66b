// Pure: bench/results/kafka.md from the run's JSON.
const round1 = (x: number) => Math.round(x * 10) / 10;
// The Kafka path's targets in the project's issue 10 (the embedded pipeline's are 150,000 records/s).
const TARGETS = { recordsPerS: 100_000, ackP99Ms: 10, queryableP99Ms: 1000 };

/** Pure: the Markdown report of a Kafka bench run (`run.ts`'s JSON). */
export function renderKafkaReport(r: any): string {
  const s = r.sustained;
  const q = r.queryable;
  const l = r.lagRecovery;
  const yes = (ok: boolean) => (ok ? '**reached**' : '**not reached**');
  const lines = [
    `# Kafka path benchmark`,
    '',
    `${r.date} · \`${r.command}\` · ${r.durationS} s · ${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.ramGiB} GiB, ${r.machine.node}`,
    `Load average at start ${r.machine.loadavg.join(' ')}, at end ${r.loadAtEnd.join(' ')}; CPU pressure at start ${JSON.stringify(r.machine.cpuPressure)}. The 2 cores are shared with other work.`,
    '',
    "Everything on this machine, traffic to 127.0.0.1 only: one Kafka 4 broker (KRaft, JVM), ClickHouse served by libchdb's HTTP server, and collector, processor and query each as its own Node process (`services/processor/src/kafka/test-processes.ts`), topic with 6 partitions. Collector and processor ran under `--cpu-prof` for the whole run (sampling costs a few percent).",
    '',
    '| number | target | measured | |',
    '|---|---|---|---|',
  ];
  if (s) {
    lines.push(
      `| sustained accepted (202) records/s | ≥ ${TARGETS.recordsPerS} | ${s.acceptedPerS} | ${yes(s.acceptedPerS >= TARGETS.recordsPerS)} |`,
    );
    lines.push(
      `| sustained stored records/s (ClickHouse count) | ≥ ${TARGETS.recordsPerS} | ${s.storedPerS} | ${yes(s.storedPerS >= TARGETS.recordsPerS)} |`,
    );
    lines.push(
      `| collector ack p50 / p99 ms | p99 < ${TARGETS.ackP99Ms} | ${s.ackMs.p50} / ${s.ackMs.p99} | ${yes(s.ackMs.p99 < TARGETS.ackP99Ms)} |`,
    );
  }
  if (q)
    lines.push(
      `| ingest→queryable p50 / p99 ms | p99 < ${TARGETS.queryableP99Ms} | ${q.queryableMs.p50} / ${q.queryableMs.p99} | ${yes(q.queryableMs.p99 < TARGETS.queryableP99Ms)} |`,
    );
  if (l) {
    lines.push(
      `| peak consumer lag during ${l.outageS} s store outage | – | ${l.peakLagMessages} messages (gauge); ${l.peakBacklogRecords} records acknowledged but not stored | |`,
    );
    lines.push(
      `| lag recovery after ClickHouse is back (ingest continuing at ${l.ingestRecordsPerS}/s) | – | ${l.recoveryS ?? 'not within the window'} s (records backlog); gauge: ${l.recoveryGaugeS ?? 'not within the window'} s | |`,
    );
    const e = l.exactlyOnce;
    lines.push(
      `| acknowledged records lost / duplicated | 0 / 0 | ${e.missingAcknowledged} / ${e.duplicateRows} (markers missing ${e.markersMissing}) | ${yes(e.missingAcknowledged === 0 && e.duplicateRows === 0 && e.markersMissing === 0)} |`,
    );
  }
  lines.push('');
  if (s) {
    lines.push('## 1. Sustained throughput', '');
    lines.push(
      `Closed loop: ${s.connections} keep-alive connections from a worker thread, ${s.recordsPerRequest} sample records (~300 B each) per NDJSON request, 64 pre-generated bodies; 5 s warm-up, then a ${s.windowS} s window. Accepted = 202 responses wholly inside the window × 1000. Stored = \`SELECT count()\` on ClickHouse at window end minus at window start. Statuses over the whole run: ${JSON.stringify(s.statuses)}. After the load stopped, the store caught up with every acknowledged record in ${s.drainAfterLoad.drainedS} s (complete: ${s.drainAfterLoad.complete}).`,
    );
    lines.push(
      '',
      `Ack latency (ms): ${JSON.stringify(s.ackMs)}. Load during the window: ${s.load.join(' ')}; machine-wide cores busy ${s.machineCores} of 2.`,
      '',
    );
    lines.push('| process | cores in window | CPU µs per stored record |', '|---|---|---|');
    for (const k of Object.keys(s.coresByProcess))
      lines.push(`| ${k} | ${s.coresByProcess[k]} | ${s.cpuPerStoredRecordUs[k]} |`);
    lines.push(
      '',
      'CPU from `/proc/<pid>/stat` (utime+stime) deltas over the window; loadGenerator = the bench process incl. its worker thread (process.cpuUsage).',
      '',
      ...(s.cpuPerStoredRecordUsByThread
        ? [
            'By thread (`/proc/<pid>/task/*/stat`), µs of CPU per stored record: the Node processes by role, the broker JVM and ClickHouse by thread name (digits as #, pools counted together; the eight largest):',
            '',
            '| process | thread | µs per record |',
            '|---|---|---|',
            ...Object.entries(s.cpuPerStoredRecordUsByThread as Record<string, Record<string, number>>).flatMap(
              ([process, roles]) => Object.entries(roles).map(([role, us]) => `| ${process} | ${role} | ${us} |`),
            ),
          ]
        : []),
      '',
    );
  }
  if (q) {
    lines.push('## 2. Ingest→queryable', '');
    lines.push(
      `${q.markers} single-record markers posted to the collector one at a time (100 ms apart) under paced background ingest of ${q.backgroundRecordsPerS} records/s; after each 202 the query service is searched for the marker every 5 ms. Measured from the POST to the first search that finds it. Ack ms ${JSON.stringify(q.ackMs)}; queryable ms ${JSON.stringify(q.queryableMs)}; searches that missed: ${q.pollsAfterAck}. Ack ms of the paced 1000-record background requests: ${JSON.stringify(q.backgroundAckMs)}. Background statuses ${JSON.stringify(q.backgroundStatuses)}.`,
      '',
    );
  }
  if (l) {
    lines.push('## 3. Consumer lag through a 60 s ClickHouse outage', '');
    lines.push(
      `Paced ingest at ${l.ingestRecordsPerS} records/s (about half the sustained max) plus a stream of 50-record requests with unique markers every 100 ms. After 10 s, the ClickHouse server was SIGKILLed (${l.killedAtS} s), and restarted on the same data directory and port at ${l.backAtS} s. Lag = \`instant_logs_processor_consumer_lag\` summed over partitions from the processor's /metrics every 0.5 s; it counts Kafka messages (the collector splits each request into one message per tenant/service, so a message holds tens to hundreds of records). Because the gauge is set per partition when a batch is fetched, it can read stale or 0 for a moment; the ground truth is therefore also measured in records: backlog(t) = records acknowledged (202 received) by t − \`count()\` in ClickHouse at t, sampled every 0.5 s with the gauge. Ingest keeps running ${round1(l.stoppedIngestAtS - l.backAtS)} s after ClickHouse is back. Recovered = the first sample after ClickHouse is back from which 4 consecutive samples (2 s) stay ≤ ${l.recoveredThresholdRecords} records (twice the pre-outage backlog maximum of ${l.baselineBacklogMaxRecords}, at least 20000); the same rule on the gauge uses ≤ ${l.recoveredThresholdMessages} messages (twice its baseline maximum of ${l.baselineLagMaxMessages}).`,
    );
    lines.push(
      '',
      `Peak lag ${l.peakLagMessages} messages at ${l.peakAtS} s; peak backlog ${l.peakBacklogRecords} records; recovery ${l.recoveryS ?? 'not within the window'} s after ClickHouse was back by the backlog, ${l.recoveryGaugeS ?? 'not within the window'} s by the gauge. Statuses: bulk ${JSON.stringify(l.steadyStatuses)}, markers ${JSON.stringify(l.markerStatuses)}. Ack ms of the paced 1000-record requests before the outage ${JSON.stringify(l.steadyAckMsBeforeOutage)}, during it ${JSON.stringify(l.steadyAckMsDuringOutage)}. Final drain: ${JSON.stringify(l.drain)}.`,
    );
    const e = l.exactlyOnce;
    lines.push(
      '',
      `Exactly once, over the whole run: ${e.expectedAcknowledged} records acknowledged with 202; ClickHouse holds ${e.storedRows} rows with ${e.distinctIds} distinct ids (the collector assigns the id before producing, so a replayed batch would repeat it): ${e.duplicateRows} duplicates, ${e.missingAcknowledged} missing. Markers: ${e.markersAcknowledged} acknowledged, ${e.markerRows} rows, ${e.markerDistinct} distinct, ${e.markersMissing} acknowledged ones missing. Requests not answered 202: ${e.nonAckedRequests}.`,
      '',
    );
    lines.push(
      'Series every 2 s (s: gauge messages / backlog records): ' +
        l.series
          .filter((_: unknown, i: number) => i % 4 === 0)
          .map((x: number[]) => `${x[0]}: ${x[1]}/${Number.isFinite(x[2]) ? x[2] : '–'}`)
          .join(', '),
      '',
    );
  }
  if (l?.catchUp) {
    const c = l.catchUp;
    lines.push(
      `Of the recovery time, ${c.stallAfterRestartS} s passed after ClickHouse was back before the backlog started to fall (the processor retries with exponential backoff with jitter, capped at RETRY_MAX_MS = 30 s: after a 60 s outage each retry waits 15–30 s, so the first attempt after the restart comes up to 30 s late); then the store caught up at ${c.storedPerSDuringCatchUp} records/s (processor + ClickHouse only, collector still ingesting). Samples where the lag gauge read 0 while more than 20000 acknowledged records were not yet stored: ${c.gaugeZeroWhileBehindSamples} (the gauge is computed from the fetched batch's high watermark, which is stale for a batch that waited through the outage).`,
      '',
    );
  }
  if (r.profiles) {
    lines.push('## 4. Where the time goes (CPU profiles, phase 1 window)', '');
    for (const [name, pr] of Object.entries<any>(r.profiles)) {
      if (!pr?.functions) continue;
      lines.push(`### ${name} (${pr.sampledMs} ms sampled)`, '', '| package | % |', '|---|---|');
      for (const x of pr.packages) lines.push(`| ${x.name} | ${x.pct} |`);
      lines.push('', '| function | % |', '|---|---|');
      for (const x of pr.functions) lines.push(`| \`${x.name}\` | ${x.pct} |`);
      lines.push('');
    }
  }
  if (s) {
    const pipeline = ['collector', 'processor', 'brokerJvm', 'clickhouse'].reduce(
      (n, k) => n + (s.cpuPerStoredRecordUs[k] ?? 0),
      0,
    );
    lines.push('## 5. Bottleneck', '');
    lines.push(
      `CPU per stored record across collector + processor + broker + ClickHouse: ${round1(pipeline)} µs. With both cores to themselves these four could sustain at most ≈ ${Math.round(2e6 / pipeline)} records/s (2 cores ÷ CPU per record); ${TARGETS.recordsPerS} records/s on 2 cores needs ≤ ${round1(2e6 / TARGETS.recordsPerS)} µs per record in total. The collector costs ${s.cpuPerStoredRecordUs.collector} µs/record over its event loop and ingest thread (by thread above); ClickHouse costs ${s.cpuPerStoredRecordUs.clickhouse} µs/record (inserts, text/bloom index build, merges). Machine-wide the 2 cores were ${s.machineCores} busy during the window, so the run was CPU-bound, with other users' work on the same cores.`,
    );
    const loop = r.profiles?.['collector event loop'];
    const share = (pr: any, name: string) => pr?.packages?.find((x: any) => x.name === name)?.pct ?? 0;
    if (loop)
      lines.push(
        '',
        `kafkajs is ${share(loop, 'kafkajs')}% of the collector's event loop (${share(r.profiles['processor event loop'], 'kafkajs')}% of the processor's); garbage collection ${share(loop, '(garbage collector)')}% (${share(r.profiles['processor event loop'], '(garbage collector)')}% of the processor's). Decoding and normalising records run on the collector's ingest thread (its own profile above). Replacing kafkajs could save at most its share, so no alternative client was measured.`,
      );
    lines.push('');
  }
  if (r.processorLog?.length)
    lines.push(
      '## Processor log lines about pauses, retries, rebalances and errors (last 40)',
      '',
      '```',
      ...r.processorLog,
      '```',
      '',
    );
  if (r.error) lines.push('## Error', '', '```', r.error, '```', '');
  return `${lines.join('\n')}\n`;
}
