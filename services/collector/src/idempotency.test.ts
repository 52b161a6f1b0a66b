import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CodedError } from '@instant-logs/service-kit';
import { createIdempotencyLedger, idempotencyClaim, type ClaimOutcome } from './idempotency.ts';

const ANSWER = { accepted: 2, rejected: 1, errors: [{ index: 1, field: 'service', message: 'is required' }] };
const claimOf = (key: string, body = 'body') => idempotencyClaim(key, Buffer.from(body))!;
const settleNew = (outcome: ClaimOutcome, response = ANSWER) => {
  assert.equal(outcome.kind, 'new');
  if (outcome.kind === 'new') outcome.settle(response);
};
const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return undefined;
  } catch (err) {
    assert.ok(err instanceof CodedError);
    return `${err.statusCode} ${err.code}`;
  }
};

test('a key answered once is answered the same again, per tenant', async () => {
  const ledger = await createIdempotencyLedger({ windowMs: 60_000 });
  settleNew(ledger.claim('acme', claimOf('k1')));
  assert.deepEqual(ledger.claim('acme', claimOf('k1')), { kind: 'replay', response: ANSWER });
  assert.equal(ledger.claim('globex', claimOf('k1')).kind, 'new', 'another tenant shares no keys');
});

test('the same key with another body is 422, and while its first request runs 409', async () => {
  const ledger = await createIdempotencyLedger({ windowMs: 60_000 });
  const first = ledger.claim('acme', claimOf('k1', 'one'));
  assert.equal(
    codeOf(() => ledger.claim('acme', claimOf('k1', 'one'))),
    '409 IDEMPOTENCY_KEY_IN_FLIGHT',
  );
  settleNew(first);
  assert.equal(
    codeOf(() => ledger.claim('acme', claimOf('k1', 'two'))),
    '422 IDEMPOTENCY_KEY_REUSED',
  );
});

test('a request that failed frees its key for the retry', async () => {
  const ledger = await createIdempotencyLedger({ windowMs: 60_000 });
  const first = ledger.claim('acme', claimOf('k1'));
  assert.equal(first.kind, 'new');
  if (first.kind === 'new') first.settle(undefined);
  assert.equal(ledger.claim('acme', claimOf('k1')).kind, 'new');
});

test('an answer is forgotten after the window, and the oldest first beyond maxKeys', async () => {
  let now = 0;
  const ledger = await createIdempotencyLedger({ windowMs: 1_000, maxKeys: 2, clock: () => now });
  for (const key of ['a', 'b', 'c']) settleNew(ledger.claim('acme', claimOf(key)));
  assert.equal(ledger.claim('acme', claimOf('a')).kind, 'new', 'the oldest of three beyond maxKeys 2 was kept');
  now = 5_000;
  assert.equal(ledger.claim('acme', claimOf('c')).kind, 'new', 'an answer outlived its window');
});

test('answers survive a reopen through the journal; aged-out and torn lines are dropped', async () => {
  const journal = join(await mkdtemp(join(tmpdir(), 'idl-idem-')), 'idempotency.ndjson');
  let now = 10_000;
  const first = await createIdempotencyLedger({ windowMs: 5_000, journal, clock: () => now });
  settleNew(first.claim('acme', claimOf('old')));
  now = 14_000;
  settleNew(first.claim('acme', claimOf('recent')));
  first.remember('globex', claimOf('from-log'), ANSWER, now);
  await first.close();
  await appendFile(journal, '{"tenant":"acme","key":"torn","dig');
  now = 16_000;
  const reopened = await createIdempotencyLedger({ windowMs: 5_000, journal, clock: () => now });
  assert.equal(reopened.claim('acme', claimOf('recent')).kind, 'replay');
  assert.equal(reopened.claim('globex', claimOf('from-log')).kind, 'replay');
  assert.equal(reopened.claim('acme', claimOf('old')).kind, 'new', 'an answer past its window came back');
  assert.doesNotMatch(await readFile(journal, 'utf8'), /torn|"old"/);
});

test('a forgotten answer frees its key, also after a reopen; a claim with another digest or still in flight stays', async () => {
  const journal = join(await mkdtemp(join(tmpdir(), 'idl-idem-')), 'idempotency.ndjson');
  const first = await createIdempotencyLedger({ windowMs: 60_000, journal });
  settleNew(first.claim('acme', claimOf('doc')));
  settleNew(first.claim('acme', claimOf('other')));
  const inFlight = first.claim('acme', claimOf('running'));
  first.forget('acme', claimOf('doc'));
  first.forget('acme', claimOf('other', 'another body'));
  first.forget('acme', claimOf('running'));
  first.forget('globex', claimOf('other'));
  assert.equal(first.claim('acme', claimOf('doc')).kind, 'new', 'forgotten: the next request is new');
  assert.equal(first.claim('acme', claimOf('other')).kind, 'replay');
  assert.equal(
    codeOf(() => first.claim('acme', claimOf('running'))),
    '409 IDEMPOTENCY_KEY_IN_FLIGHT',
  );
  assert.equal(inFlight.kind, 'new');
  await first.flush();
  await first.close();
  const reopened = await createIdempotencyLedger({ windowMs: 60_000, journal });
  assert.equal(reopened.claim('acme', claimOf('doc')).kind, 'new', 'the journal remembers the forgetting');
  assert.equal(reopened.claim('acme', claimOf('other')).kind, 'replay');
  assert.doesNotMatch(await readFile(journal, 'utf8'), /"key":"doc"/, 'rewritten without it');
  await reopened.close();
});

test('flush waits for the journal lines before it; a journal that cannot be written is reported, the key still kept until a restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'idl-idem-'));
  const journal = join(dir, 'idempotency.ndjson');
  const errors: Error[] = [];
  const ledger = await createIdempotencyLedger({ windowMs: 60_000, journal, onError: (err) => errors.push(err) });
  settleNew(ledger.claim('acme', claimOf('synced')));
  await ledger.flush();
  assert.match(await readFile(journal, 'utf8'), /"key":"synced"/);
  // A journal that became a directory: every append fails from now on.
  await rm(journal);
  await mkdir(journal);
  settleNew(ledger.claim('acme', claimOf('unwritten')));
  await ledger.flush();
  assert.deepEqual(
    errors.map((e) => (e as NodeJS.ErrnoException).code),
    ['EISDIR'],
  );
  assert.equal(ledger.claim('acme', claimOf('unwritten')).kind, 'replay');
  await ledger.close();
});

test('a malformed key is a 400 naming the header; the digest tells bodies apart', () => {
  for (const bad of ['', ' ', 'has space', 'é', 'x'.repeat(256)])
    assert.equal(
      codeOf(() => idempotencyClaim(bad, Buffer.from('b'))),
      '400 BAD_IDEMPOTENCY_KEY',
      JSON.stringify(bad),
    );
  assert.equal(idempotencyClaim(undefined, Buffer.from('b')), undefined);
  assert.notEqual(claimOf('k', 'one').digest, claimOf('k', 'two').digest);
});
