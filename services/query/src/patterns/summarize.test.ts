import { test } from 'node:test';
import assert from 'node:assert/strict';
import { patternId, summarizePatterns } from './summarize.ts';

const msg = (ms: number, body: string, level = 'info') => ({ ms, level, body });

test('a sample of every match spans the range, and counts, shares and estimates are of the sample', () => {
  const messages = [msg(9_000, 'job 3 done', 'warn'), msg(5_000, 'job 2 done'), msg(1_000, 'boot')];
  const answer = summarizePatterns({ messages, total: 3, fromMs: 0, toMs: 9_999, buckets: 10, limit: 10 });
  assert.equal(answer.sparkline.from, new Date(0).toISOString());
  assert.equal(answer.sparkline.interval_ms, 1_000);
  const [job, boot] = answer.patterns;
  assert.equal(job!.template, 'job <NUM> done');
  assert.deepEqual(job!.sparkline, [0, 0, 0, 0, 0, 1, 0, 0, 0, 1]);
  assert.equal(job!.levels['warn'], 1);
  assert.equal(job!.example, 'job 3 done');
  assert.equal(boot!.share, 1 / 3);
  assert.equal(answer.other, 0);
});

test('a sample short of the matches spans from its oldest record, and estimates scale to the total', () => {
  const messages = [msg(9_000, 'a 1'), msg(8_000, 'a 2'), msg(6_000, 'b')];
  const answer = summarizePatterns({ messages, total: 30, fromMs: 0, toMs: 9_999, buckets: 4, limit: 1 });
  assert.equal(answer.sampled, 3);
  assert.equal(answer.sample_from, '1970-01-01T00:00:06.000000000Z');
  assert.equal(answer.sparkline.from, new Date(6_000).toISOString());
  assert.deepEqual(
    answer.patterns.map((p) => [p.template, p.count, p.estimated_total]),
    [['a <NUM>', 2, 20]],
  );
  assert.equal(answer.other, 1);
});

test('a template too long for q has no query; the id is the same for the same template', () => {
  const long = `x ${'word '.repeat(1000)}`;
  const answer = summarizePatterns({ messages: [msg(1, long)], total: 1, fromMs: 0, toMs: 10, buckets: 1, limit: 5 });
  assert.equal(answer.patterns[0]!.query, null);
  assert.equal(answer.patterns[0]!.id, patternId(answer.patterns[0]!.template));
  assert.notEqual(patternId('a'), patternId('b'));
});

test('no messages make no patterns', () => {
  const answer = summarizePatterns({ messages: [], total: 0, fromMs: 0, toMs: 10, buckets: 5, limit: 5 });
  assert.deepEqual([answer.patterns, answer.sample_from, answer.other], [[], null, 0]);
});
