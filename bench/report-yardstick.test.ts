import assert from 'node:assert/strict';
import { test } from 'node:test';
import { yardstickTargets } from './report-yardstick.ts';

// The shape bench/yardstick.ts writes, cut to what the targets read.
const side = (recordsPerS: number, p99: number) => ({ recordsPerS, ackMs: { p99 } });
const query = (name: string, ours: number, victoria: number, right = true) => ({
  name,
  ours: { warmMs: { p50: ours }, right },
  victoria: { warmMs: { p50: victoria }, right: true },
});
const run = {
  data: { records: 1_000_000, ndjsonBytes: 336_000_000 },
  summary: [
    { connections: 4, ours: side(140_000, 40), victoria: side(390_000, 48) },
    { connections: 8, ours: side(160_000, 120), victoria: side(430_000, 58) },
  ],
  paced: [
    { system: 'ours', recordsPerS: 80_000, ackMs: { p99: 9.5 } },
    { system: 'victoria', recordsPerS: 215_000, ackMs: { p99: 30 } },
  ],
  cpuUsPerRecordWholeRun: { ours: 10.2, victoria: 5.7 },
  disk: {
    // 120 MB in all: store/ 90 MB of which 50 MB active parts, the local log 25 MB, 5 MB else: 55 MB kept without the log.
    ours: { merged: { bytes: 120_000_000, partsBytes: 50_000_000, entries: { store: 90_000_000, wal: 25_000_000 } } },
    victoria: { merged: { bytes: 42_000_000 } },
  },
  queries: [query('rare word', 80, 160), query('needle', 27, 3), query('count', 16, 16, false)],
};

test("each target is judged on ours, with VictoriaLogs' figure and the ratio beside it", () => {
  const got = Object.fromEntries(yardstickTargets(run).map((t) => [t.target, t]));
  const reached = Object.fromEntries(Object.entries(got).map(([k, t]) => [k, t.reached]));
  assert.deepEqual(reached, {
    'embedded ≥ 150,000 logs/s sustained': true,
    'server CPU ≤ 10 µs a record, later merges included': false,
    'durable ack p99 < 100 ms at the maximum': false,
    'durable ack p99 < 10 ms at half the sustained maximum': true,
    "disk per record ≤ VictoriaLogs'": false,
    '≥ 10× smaller than the NDJSON sent': false,
    'rare word: no slower than VictoriaLogs': true,
    'needle: no slower than VictoriaLogs': false,
    // As fast, but a wrong answer never counts.
    'count: no slower than VictoriaLogs': false,
  });
  assert.equal(
    got['embedded ≥ 150,000 logs/s sustained']!.measured,
    '160,000 logs/s (VictoriaLogs 430,000 logs/s, 0.37×), best median of rounds',
  );
  assert.match(got['durable ack p99 < 100 ms at the maximum']!.measured, /^120 ms \(VictoriaLogs 58 ms, 2\.07×\)/);
  assert.match(got["disk per record ≤ VictoriaLogs'"]!.measured, /^55 B \(VictoriaLogs 42 B, 1\.31×\)/);
  assert.equal(got['≥ 10× smaller than the NDJSON sent']!.measured, '6.1× (VictoriaLogs 8.0×)');
});

test('a run without the paced windows leaves that target out', () => {
  const { paced: _, ...older } = run;
  assert.ok(!yardstickTargets(older).some((t) => t.target.includes('half the sustained maximum')));
});
