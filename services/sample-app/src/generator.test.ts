import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeRecord, parseTimestamp, type Level } from '@instant-logs/schema';
import { createTrafficGenerator } from './generator.ts';
import type { SampleRecord } from './request.ts';

const ctx = { tenant: 't', receivedNs: 0n, newId: () => 'x' };
const timeMs = (r: SampleRecord): number => Number(parseTimestamp(r.timestamp)! / 1_000_000n);
const isError = (r: SampleRecord): boolean => r.level === 'error' || r.level === 'fatal';

test('the same seed yields the same records and another seed different ones', () => {
  const a = createTrafficGenerator({ seed: 7 }).batch(5000);
  const b = createTrafficGenerator({ seed: 7 }).batch(5000);
  const c = createTrafficGenerator({ seed: 8 }).batch(5000);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

test('every record passes the collector normalisation unchanged in service, level and message', () => {
  // Long enough to run through incidents, so their lines are checked too.
  for (const record of createTrafficGenerator({ seed: 1 }).batch(60_000)) {
    const result = normalizeRecord(record, ctx);
    assert.ok(result.ok, `${JSON.stringify(record)} → ${JSON.stringify(!result.ok && result.error)}`);
    assert.equal(result.record.service, record.service);
    assert.equal(result.record.level, record.level);
    assert.equal(result.record.body, record.message);
    assert.equal(result.record.trace_id, record.trace_id ?? '');
  }
});

test('levels stay in believable bands over 10k records', () => {
  const counts: Record<Level, number> = { trace: 0, debug: 0, info: 0, warn: 0, error: 0, fatal: 0 };
  for (const seed of [1, 2, 3]) for (const r of createTrafficGenerator({ seed }).batch(10_000)) counts[r.level]++;
  const share = (level: Level) => counts[level] / 30_000;
  assert.ok(share('info') > 0.4 && share('info') < 0.6, `info ${share('info')}`);
  assert.ok(share('debug') > 0.25 && share('debug') < 0.45, `debug ${share('debug')}`);
  assert.ok(share('trace') > 0.03 && share('trace') < 0.15, `trace ${share('trace')}`);
  assert.ok(share('warn') > 0.01 && share('warn') < 0.08, `warn ${share('warn')}`);
  assert.ok(share('error') > 0 && share('error') < 0.02, `error ${share('error')}`);
  assert.ok(share('fatal') < 0.001, `fatal ${share('fatal')}`);
  assert.ok(share('info') + share('debug') > 0.75);
});

test('requests span several services under one trace id, each service with its own span id', () => {
  const traces = new Map<string, Map<string, Set<string>>>();
  for (const r of createTrafficGenerator({ seed: 3 }).batch(10_000)) {
    if (!r.trace_id) continue;
    assert.match(r.trace_id, /^[0-9a-f]{32}$/);
    assert.match(r.span_id ?? '', /^[0-9a-f]{16}$/);
    const services = traces.get(r.trace_id) ?? new Map<string, Set<string>>();
    services.set(r.service, (services.get(r.service) ?? new Set()).add(r.span_id!));
    traces.set(r.trace_id, services);
  }
  const wide = [...traces.values()].filter((services) => services.size >= 4);
  assert.ok(wide.length > 50, `${wide.length} traces cross four or more services`);
  for (const services of traces.values()) {
    const spans = [...services.values()].flatMap((s) => [...s]);
    assert.equal(new Set(spans).size, services.size, 'one span per service, none shared');
  }
});

test('records average 250–350 bytes as JSON', () => {
  const records = createTrafficGenerator({ seed: 5 }).batch(10_000);
  const average = records.reduce((sum, r) => sum + JSON.stringify(r).length, 0) / records.length;
  assert.ok(average >= 250 && average <= 350, `average ${average.toFixed(1)} bytes`);
});

test('without a clock, records come out in time order from startMs', () => {
  const startMs = Date.UTC(2030, 5, 1);
  const records = createTrafficGenerator({ seed: 9, startMs }).batch(20_000);
  assert.ok(timeMs(records[0]!) >= startMs);
  for (let i = 1; i < records.length; i++)
    assert.ok(timeMs(records[i]!) >= timeMs(records[i - 1]!), `record ${i} out of order`);
});

test('with a wall clock, records carry its time, even when it does not move', () => {
  const nowMs = Date.UTC(2031, 0, 1);
  const records = createTrafficGenerator({ seed: 4, clock: () => nowMs }).batch(5000);
  for (const r of records) assert.ok(timeMs(r) >= nowMs && timeMs(r) < nowMs + 120_000, String(r.timestamp));
});

test('incidents raise the error share and the volume, then traffic recovers', () => {
  const generator = createTrafficGenerator({ seed: 42 });
  const records = generator.batch(150_000);
  const lastMs = timeMs(records.at(-1)!);
  const windows = generator.incidents().filter((w) => w.endMs < lastMs);
  assert.ok(windows.length >= 3, `${windows.length} complete incidents`);
  assert.ok(windows.some((w) => w.kind === 'payments-outage'));

  const inside = windows.map(() => ({ records: 0, errors: 0 }));
  const outside = { records: 0, errors: 0 };
  for (const r of records) {
    const t = timeMs(r);
    const i = windows.findIndex((w) => t >= w.startMs && t < w.endMs);
    const bin = i === -1 ? outside : inside[i]!;
    bin.records++;
    if (isError(r)) bin.errors++;
  }
  const normalShare = outside.errors / outside.records;
  windows.forEach((w, i) => {
    const share = inside[i]!.errors / inside[i]!.records;
    assert.ok(share > 4 * normalShare, `${w.kind}: ${share} vs normal ${normalShare}`);
  });
  const incidentMs = windows.reduce((sum, w) => sum + w.endMs - w.startMs, 0);
  const insideRecords = inside.reduce((sum, b) => sum + b.records, 0);
  const normalRate = outside.records / (lastMs - timeMs(records[0]!) - incidentMs);
  assert.ok(insideRecords / incidentMs > 1.2 * normalRate, 'incidents bring more traffic');

  // Recovery: from ten seconds after each incident (when delayed retries have drained) errors are back to normal.
  const after = { records: 0, errors: 0 };
  for (const r of records) {
    const t = timeMs(r);
    if (!windows.some((w) => t >= w.endMs + 10_000 && t < w.endMs + 60_000)) continue;
    after.records++;
    if (isError(r)) after.errors++;
  }
  assert.ok(after.records > 10_000);
  assert.ok(
    after.errors / after.records < 3 * normalShare,
    `after incidents: ${after.errors / after.records} vs normal ${normalShare}`,
  );
});

test('payments errors come within the first second at the default rate, and keep coming outside incidents', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const generator = createTrafficGenerator({ seed });
    // 50 records is the first second at SAMPLE_TRAFFIC_RATE's default: what the README's third example finds.
    assert.ok(
      generator.batch(50).some((r) => r.service === 'payments' && isError(r)),
      `seed ${seed}: no payments error first`,
    );
    const later = generator.batch(60_000);
    const during = (r: SampleRecord) =>
      generator.incidents().some((w) => timeMs(r) >= w.startMs && timeMs(r) <= w.endMs + 10_000);
    const routine = later.filter((r) => r.service === 'payments' && isError(r) && !during(r));
    assert.ok(routine.length >= 3, `seed ${seed}: ${routine.length} payments errors outside incidents in 60k records`);
  }
});
