import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DOCUMENT_DIGEST } from '@instant-logs/queue';
import type { SourceMessage } from './batches.ts';
import { encodeIntent } from './intent.ts';
import type { StoredPart } from './retries.ts';
import { GroupMembershipLost, writeBatch, type DeadLetter, type WriterDeps } from './writer.ts';

// Small in-memory implementations of the writer's own port: a store that deduplicates by token
// like ClickHouse does and refuses lines containing "poison" for good, and a commit log.
class Transient extends Error {}
class Refused extends Error {}

interface Fake {
  deps: WriterDeps;
  /** Every call in order: `commit <offset> <metadata>`, `insert <token>`, `dead-letter <value>`, `paused <bool>`. */
  events: string[];
  /** Rows that reached the store, deduplicated by token. */
  rows(): string[];
  letters: DeadLetter[];
  heartbeats: number;
}

function fake(
  overrides: Partial<WriterDeps> & {
    failInsert?: (token: string, call: number) => Error | undefined;
    failCommit?: (offset: bigint, call: number) => Error | undefined;
  } = {},
  store = new Map<string, string>(),
): Fake {
  const { failInsert, failCommit, ...rest } = overrides;
  const f: Fake = {
    events: [],
    letters: [],
    heartbeats: 0,
    rows: () => [...store.values()].flatMap((d) => d.split('\n')),
    deps: {
      topic: 'logs',
      async insert(bytes, token) {
        const data = bytes.toString();
        f.events.push(`insert ${token}`);
        const err = failInsert?.(token, f.events.filter((e) => e === `insert ${token}`).length);
        if (err) throw err;
        if (data.includes('poison'))
          throw new Refused(`Cannot parse input: ${data.split('\n').find((l) => l.includes('poison'))}`);
        if (!store.has(token)) store.set(token, data);
      },
      isTransient: (err) => err instanceof Transient,
      async commit(partition, offset, metadata) {
        f.events.push(`commit ${offset} ${metadata}`);
        const err = failCommit?.(offset, f.events.filter((e) => e.startsWith(`commit ${offset} `)).length);
        if (err) throw err;
        assert.equal(partition, 3);
      },
      async deadLetter(letters) {
        f.events.push(...letters.map((l) => `dead-letter ${l.value}`));
        f.letters.push(...letters);
      },
      heartbeat: async () => void f.heartbeats++,
      shouldStop: () => false,
      backoff: { initialMs: 1, maxMs: 2 },
      observe: {
        inserted() {},
        retried() {},
        deadLettered() {},
        pausedChanged: (_p, paused) => void f.events.push(`paused ${paused}`),
      },
      ...rest,
    },
  };
  return f;
}

const message = (offset: number, ...lines: string[]): SourceMessage => ({
  offset: BigInt(offset),
  value: Buffer.from(lines.join('\n')),
  rows: lines.length,
  tenant: 'acme',
});
const batch = [message(10, 'a0', 'a1'), message(11, 'b0'), message(12, 'c0', 'c1', 'c2')];

test('a batch commits its intent, inserts under the batch token, then commits past it', async () => {
  const f = fake();
  assert.equal(await writeBatch(f.deps, 3, batch), true);
  assert.deepEqual(f.events, [`commit 10 ${encodeIntent(12n)}`, 'insert logs/3/10-12', 'commit 13 null']);
  assert.deepEqual(f.rows(), ['a0', 'a1', 'b0', 'c0', 'c1', 'c2']);
});

test('transient insert failures are retried with the same token while heartbeating, and nothing is stored twice', async () => {
  const f = fake({ failInsert: (_token, call) => (call <= 3 ? new Transient('TIMEOUT_EXCEEDED') : undefined) });
  assert.equal(await writeBatch(f.deps, 3, batch), true);
  const inserts = f.events.filter((e) => e.startsWith('insert'));
  assert.deepEqual(inserts, Array(4).fill('insert logs/3/10-12'));
  assert.deepEqual(
    f.events.filter((e) => e.startsWith('paused')),
    ['paused true', 'paused false'],
  );
  assert.ok(f.heartbeats >= 1, 'heartbeats while waiting');
  assert.equal(f.events.at(-1), 'commit 13 null');
  assert.equal(f.rows().length, 6);
});

test('transient commit failures are retried before anything is inserted', async () => {
  const f = fake({
    failCommit: (offset, call) => (offset === 10n && call === 1 ? new Error('NOT_COORDINATOR') : undefined),
  });
  assert.equal(await writeBatch(f.deps, 3, batch), true);
  assert.deepEqual(f.events.slice(0, 4), [
    `commit 10 ${encodeIntent(12n)}`,
    'paused true',
    `commit 10 ${encodeIntent(12n)}`,
    'paused false',
  ]);
  assert.equal(f.events[4], 'insert logs/3/10-12');
});

test('a refused batch is split by message, then by halves of lines, until the poison lines stand alone', async () => {
  const poisoned = [
    message(10, 'a0', 'a1'),
    message(11, 'b0', 'b1', 'poison-b2', 'b3', 'b4'),
    message(12, 'poison-c0'),
  ];
  const f = fake();
  assert.equal(await writeBatch(f.deps, 3, poisoned), true);
  assert.deepEqual(f.events, [
    `commit 10 ${encodeIntent(12n)}`,
    'insert logs/3/10-12',
    'insert logs/3/10-12/o10',
    'insert logs/3/10-12/o11',
    'insert logs/3/10-12/o11/L0-2',
    'insert logs/3/10-12/o11/L0-2/L0-1',
    'insert logs/3/10-12/o11/L0-2/L2-2',
    'dead-letter poison-b2',
    'insert logs/3/10-12/o11/L3-4',
    'insert logs/3/10-12/o12',
    'dead-letter poison-c0',
    'commit 13 null',
  ]);
  assert.deepEqual(f.rows().sort(), ['a0', 'a1', 'b0', 'b1', 'b3', 'b4']);
  assert.deepEqual(
    f.letters.map((l) => ({
      value: l.value,
      offset: l.offset,
      partition: l.partition,
      topic: l.topic,
      tenant: l.tenant,
      attempts: l.attempts,
    })),
    [
      { value: 'poison-b2', offset: 11n, partition: 3, topic: 'logs', tenant: 'acme', attempts: 1 },
      { value: 'poison-c0', offset: 12n, partition: 3, topic: 'logs', tenant: 'acme', attempts: 1 },
    ],
  );
  assert.ok(f.letters.every((l) => l.error.includes('Cannot parse input')));
});

test('replaying a batch after a crash makes the same inserts under the same tokens', async () => {
  const poisoned = [message(10, 'a0', 'poison-a1', 'a2'), message(11, 'b0')];
  const store = new Map<string, string>();
  const first = fake({}, store);
  await writeBatch(first.deps, 3, poisoned);
  const replay = fake({}, store);
  await writeBatch(replay.deps, 3, poisoned);
  assert.deepEqual(replay.events, first.events);
  assert.deepEqual(replay.rows().sort(), ['a0', 'a2', 'b0'], 'the store deduplicated every replayed insert');
});

test('a dead letter that cannot be sent yet is retried before the batch is committed', async () => {
  let failures = 1;
  const f = fake({
    deadLetter: async (letters) => {
      f.events.push(`dead-letter ${letters[0]!.value}`);
      if (failures-- > 0) throw new Error('broker unavailable');
    },
  });
  assert.equal(await writeBatch(f.deps, 3, [message(10, 'poison')]), true);
  assert.deepEqual(f.events.slice(-5), [
    'dead-letter poison',
    'paused true',
    'dead-letter poison',
    'paused false',
    'commit 11 null',
  ]);
});

test('losing the partition after the insert stops without the final commit', async () => {
  const f = fake({
    failCommit: (offset) => (offset === 13n ? new GroupMembershipLost(new Error('ILLEGAL_GENERATION')) : undefined),
  });
  assert.equal(await writeBatch(f.deps, 3, batch), false);
  assert.deepEqual(f.events, [`commit 10 ${encodeIntent(12n)}`, 'insert logs/3/10-12', 'commit 13 null']);
});

test('losing the partition at the intent commit inserts nothing', async () => {
  const f = fake({ failCommit: () => new GroupMembershipLost(new Error('REBALANCE_IN_PROGRESS')) });
  assert.equal(await writeBatch(f.deps, 3, batch), false);
  assert.deepEqual(f.events, [`commit 10 ${encodeIntent(12n)}`]);
});

test('being asked to stop while the store is down abandons the batch without the final commit', async () => {
  let stop = false;
  const f = fake({
    failInsert: (_token, call) => {
      if (call === 3) stop = true;
      return new Transient('connection refused');
    },
    shouldStop: () => stop,
  });
  assert.equal(await writeBatch(f.deps, 3, batch), false);
  assert.deepEqual(
    f.events.filter((e) => e.startsWith('insert')),
    Array(3).fill('insert logs/3/10-12'),
  );
  assert.ok(!f.events.includes('commit 13 null'));
});

test('nothing at all happens once the consumer is stopping', async () => {
  const f = fake({ shouldStop: () => true });
  assert.equal(await writeBatch(f.deps, 3, batch), false);
  assert.deepEqual(f.events, []);
});

/** The keys table as an in-memory port: parts by insertion, with a switch that fails the next remember. */
function memoryKeys() {
  const parts: StoredPart[] = [];
  const keys = {
    parts,
    failNext: undefined as Error | undefined,
    async find(wanted: readonly { tenant: string; key: string }[]) {
      return parts.filter((p) => wanted.some((w) => w.tenant === p.tenant && w.key === p.key));
    },
    async remember(more: readonly StoredPart[]) {
      const err = keys.failNext;
      keys.failNext = undefined;
      if (err) throw err;
      parts.push(...more);
    },
  };
  return keys;
}
const keyed = (offset: number, key: string, ...lines: string[]): SourceMessage => ({
  ...message(offset, ...lines),
  idempotency: { key, digest: `digest-${lines.join()}`, part: '0/1' },
});

test('a copy of a request already stored is skipped and counted, and the keys are remembered after the insert', async () => {
  const store = new Map<string, string>();
  const keys = memoryKeys();
  let skipped = 0;
  const observe = (f: Fake) => ({ ...f.deps.observe, retriesSkipped: (rows: number) => void (skipped += rows) });
  const first = fake({ keys }, store);
  await writeBatch({ ...first.deps, observe: observe(first) }, 3, [keyed(10, 'k1', 'a0', 'a1'), message(11, 'b0')]);
  assert.deepEqual(
    keys.parts.map((p) => p.source),
    ['logs/3/10'],
  );
  const retry = fake({ keys }, store);
  await writeBatch({ ...retry.deps, observe: observe(retry) }, 3, [keyed(12, 'k1', 'a0', 'a1'), keyed(13, 'k2', 'c0')]);
  assert.deepEqual(retry.rows().sort(), ['a0', 'a1', 'b0', 'c0']);
  assert.equal(skipped, 2);
  assert.deepEqual(
    retry.events.filter((e) => e.startsWith('insert')),
    ['insert logs/3/12-13'],
  );
});

test('a batch of nothing but retries inserts nothing and still commits past itself', async () => {
  const keys = memoryKeys();
  const f = fake({ keys });
  await writeBatch(f.deps, 3, [keyed(10, 'k1', 'a0'), keyed(11, 'k1', 'a0')]);
  const again = fake({ keys });
  await writeBatch(again.deps, 3, [keyed(12, 'k1', 'a0')]);
  assert.deepEqual(again.events, [`commit 12 ${encodeIntent(12n)}`, 'commit 13 null']);
});

// The first try ends where a crash would cut it: the keys cannot be written, or the partition is lost before the
// final commit (a processor killed there leaves the same state), and the next owner replays the batch.
for (const [when, fail] of [
  ['between the records and their keys', 'keys'],
  ['after the keys, before the final commit', 'commit'],
] as const) {
  test(`a crash ${when} is replayed under the same token: the batch stored once, nothing taken for a retry`, async () => {
    const store = new Map<string, string>();
    const keys = memoryKeys();
    const batch = [keyed(10, 'k1', 'a0', 'a1'), keyed(11, 'k2', 'b0')];
    if (fail === 'keys') keys.failNext = new Refused('killed');
    const lost = (offset: bigint) => (offset === 12n ? new GroupMembershipLost('killed') : undefined);
    const first = fake({ keys, ...(fail === 'commit' ? { failCommit: lost } : {}) }, store);
    const outcome = await writeBatch(first.deps, 3, batch).catch((err: Error) => err.message);
    assert.equal(outcome, fail === 'keys' ? 'killed' : false);
    assert.equal(keys.parts.length, fail === 'keys' ? 0 : 2);
    let skipped = 0;
    const replay = fake({ keys }, store);
    const observe = { ...replay.deps.observe, retriesSkipped: (n: number) => void (skipped += n) };
    assert.equal(await writeBatch({ ...replay.deps, observe }, 3, batch), true);
    assert.deepEqual(replay.rows().sort(), ['a0', 'a1', 'b0']);
    assert.deepEqual(
      first.events.filter((e) => e.startsWith('insert')),
      replay.events.filter((e) => e.startsWith('insert')),
    );
    assert.equal(skipped, 0);
    assert.deepEqual(keys.parts.map((p) => p.source).sort(), ['logs/3/10', 'logs/3/11']);
  });
}

test('named documents whose line went to the dead letters are forgotten before the commit, and not remembered', async () => {
  const keys = memoryKeys();
  const forgotten: string[] = [];
  const f = fake({
    keys,
    forgetDocuments: (documents) => {
      forgotten.push(...documents.map((d) => `${d.tenant} ${d.key}`));
      f.events.push('forget');
    },
  });
  const named = (offset: number, key: string, line: string): SourceMessage => ({
    ...message(offset, line),
    idempotency: { key, digest: DOCUMENT_DIGEST, part: '0/1' },
  });
  // On Kafka a named document is a message of its own; a local log entry lists its lines' keys.
  const entry = { ...message(12, 'd0', 'poison-d1', 'poison-d2'), documentKeys: ['_id d0', '_id d1', null] };
  const batch = [
    named(10, '_id a', 'poison-a'),
    named(11, '_id b', 'b0'),
    entry,
    keyed(13, 'request', 'poison-r0', 'r1'),
  ];
  assert.equal(await writeBatch(f.deps, 3, batch), true);
  assert.deepEqual(forgotten.sort(), ['acme _id a', 'acme _id d1']);
  assert.deepEqual(keys.parts.map((p) => p.key).sort(), ['_id b', 'request'], 'a request with a refused line stays');
  assert.deepEqual(f.events.slice(-2), ['forget', 'commit 14 null']);
  assert.deepEqual(f.rows().sort(), ['b0', 'd0', 'r1']);
});
