// The side-by-side phase's pure parts. Run with `node --test bench/lib/yard.test.ts`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ratio } from '../report-yardstick.ts';
import { dayPartitions } from './yard-merge.ts';
import { answerIsRight, yardQueries } from './yard-queries.ts';
import { COMMON_WORD, RARE_WORD, yardBodies } from './yard-records.ts';

const FROM = Date.UTC(2026, 11, 6, 16);
const TO = FROM + 3_600_000;
const { bodies, facts } = yardBodies(20, 1000, 3, FROM, TO);
const records = bodies
  .flatMap((b) => b.toString().trimEnd().split('\n'))
  .map((l) => JSON.parse(l) as Record<string, any>);

test('every record and every body is distinct', () => {
  assert.equal(new Set(bodies.map((b) => b.toString())).size, bodies.length);
  assert.equal(new Set(records.map((r) => JSON.stringify(r))).size, records.length);
});

test('records average about 340 bytes of NDJSON', () => {
  const perRecord = bodies.reduce((n, b) => n + b.length, 0) / records.length;
  assert.ok(perRecord > 300 && perRecord < 380, `${perRecord} bytes/record`);
});

test('the facts match what the bodies hold', () => {
  const count = (p: (r: Record<string, any>) => boolean) => records.filter(p).length;
  const has = (word: string) => (r: Record<string, any>) => r['message'].split(/[^A-Za-z0-9_]+/).includes(word);
  assert.equal(facts.records, records.length);
  assert.equal(count(has(facts.needle)), 1);
  assert.equal(count(has(RARE_WORD)), facts.rareMatches);
  assert.equal(count(has(COMMON_WORD)), facts.commonMatches);
  assert.equal(
    count((r) => r['service'] === 'payments' && r['level'] === 'error'),
    facts.paymentsErrors,
  );
  for (const [level, n] of Object.entries(facts.byLevel))
    assert.equal(
      count((r) => r['level'] === level),
      n,
    );
});

test('timestamps rise within the range', () => {
  const ms = records.map((r) => Date.parse(r['timestamp']));
  assert.ok(ms.every((t, i) => t >= FROM && t < TO && (i === 0 || t >= ms[i - 1]!)));
});

test('the count query is right only with every level counted as generated', () => {
  const q = yardQueries(facts).find((x) => x.name.startsWith('count by level'))!;
  const counts = Object.fromEntries(Object.entries(facts.byLevel).map(([l, n]) => [l, n]));
  const ours = JSON.stringify({ buckets: [{ counts: { ...counts, fatal: 0 } }] });
  assert.ok(answerIsRight(q.expected, q.parseOurs(ours)));
  const victoria = Object.entries(counts)
    .map(([level, n]) => JSON.stringify({ level, n: String(n) }))
    .join('\n');
  assert.ok(answerIsRight(q.expected, q.parseVictoria(victoria)));
  assert.ok(!answerIsRight(q.expected, q.parseOurs(JSON.stringify({ buckets: [{ counts: { ...counts, info: 1 } }] }))));
});

test('a range across midnight names both day partitions', () => {
  assert.deepEqual(dayPartitions(Date.UTC(2026, 11, 6, 23, 30), Date.UTC(2026, 11, 7, 0, 30)), [
    '20261206',
    '20261207',
  ]);
  assert.deepEqual(dayPartitions(FROM, TO), ['20261206']);
});

test('ratios read as ours ÷ VictoriaLogs and show a dash without both', () => {
  assert.equal(ratio(36, 6), '6.00×');
  assert.equal(ratio(37_000, 390_000), '0.095×');
  assert.equal(ratio(0, 5), '—');
});
