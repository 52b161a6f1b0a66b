import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CodedError } from '@instant-logs/service-kit';
import { chargeFor, createAdmission } from './admission.ts';

const limits = { maxInFlightBytes: 100, maxTenantInFlightBytes: 60 };

const refusal = (fn: () => unknown): CodedError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof CodedError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
};

test('requests are admitted while they fit and refused with 429 OVERLOADED once they do not', () => {
  const admission = createAdmission(limits);
  admission.admit('a', 50);
  admission.admit('b', 40);
  const err = refusal(() => admission.admit('c', 20));
  assert.equal(err.statusCode, 429);
  assert.equal(err.code, 'OVERLOADED');
  assert.equal(err.headers['retry-after'], '1');
  assert.match(err.message, /limit of 100 .*INGEST_MAX_IN_FLIGHT_BYTES/);
  assert.equal(admission.inFlightBytes(), 90);
});

test('a tenant is held to its own ceiling while others are still admitted', () => {
  const admission = createAdmission(limits);
  admission.admit('a', 50);
  assert.match(refusal(() => admission.admit('a', 20)).message, /tenant "a".*INGEST_MAX_TENANT_IN_FLIGHT_BYTES/);
  admission.admit('b', 20);
  assert.equal(admission.inFlightBytes(), 70);
});

test('a body larger than a ceiling is admitted when nothing else is in flight, so it is never refused forever', () => {
  const admission = createAdmission(limits);
  const big = admission.admit('a', 500);
  assert.throws(() => admission.admit('b', 1), CodedError);
  big.release();
  big.release();
  assert.equal(admission.inFlightBytes(), 0, 'releasing twice gives back once');
  admission.admit('b', 1);
});

test('a growing reservation is refused the moment it no longer fits, and gives back what it held', () => {
  const admission = createAdmission(limits);
  admission.admit('b', 30);
  const chunked = admission.admit('a', 0);
  chunked.grow(40);
  assert.throws(() => chunked.grow(40), CodedError);
  chunked.release();
  assert.equal(admission.inFlightBytes(), 30);
});

test('a full backlog refuses every request, and readiness reports overload until refusals stop', () => {
  let pending = 10;
  let now = 0;
  const backlog = () => (pending >= 10 ? `${pending} rows are waiting to be stored` : undefined);
  const admission = createAdmission({ ...limits, backlog }, () => now);
  assert.match(refusal(() => admission.admit('a', 1)).message, /10 rows are waiting/);
  assert.match(admission.overload() ?? '', /rows are waiting/);
  pending = 0;
  assert.ok(admission.overload(), 'a refusal a moment ago still counts');
  now += 5_000;
  assert.equal(admission.overload(), undefined);
});

test('compressed bodies are charged for what they may decode to, capped at the request limit', () => {
  assert.equal(chargeFor(1000, undefined), 1000);
  assert.equal(chargeFor(1000, 'identity'), 1000);
  assert.equal(chargeFor(1000, 'gzip'), 10_000);
  assert.equal(chargeFor(4 * 1024 * 1024, 'zstd'), 5 * 1024 * 1024);
});

test('a request waits while the store is behind and goes on once it caught up, or is refused with 429 after the hold', async () => {
  let now = 0;
  let behind: string | undefined = 'the store is 5 s behind';
  const waits: number[] = [];
  const refused: string[] = [];
  const lag = {
    behind: () => behind,
    progress: async (timeoutMs: number) => {
      waits.push(timeoutMs);
      now += 100;
      if (now >= 300) behind = undefined;
    },
    holdMs: 1_000,
  };
  const observer = { refused: (limit: string) => refused.push(limit), inFlight: () => {} };
  const admission = createAdmission({ ...limits, lag }, () => now, observer);
  await admission.caughtUp();
  assert.deepEqual(waits, [1_000, 900, 800], 'each wait bounded by what is left of the hold');
  assert.equal(admission.overload(), undefined, 'a wait is not a refusal');

  behind = 'still 5 s behind';
  lag.progress = async () => {
    now += 600;
  };
  const err = await admission.caughtUp().then(
    () => assert.fail('expected a refusal'),
    (e: unknown) => e as CodedError,
  );
  assert.equal(err.statusCode, 429);
  assert.equal(err.code, 'OVERLOADED');
  assert.equal(err.headers['retry-after'], '1');
  assert.match(err.message, /^still 5 s behind; waited 1000 ms for it to catch up/);
  assert.deepEqual(refused, ['lag']);
  assert.match(admission.overload() ?? '', /refused for overload/);
});

test('without a lag to wait on, caughtUp resolves at once', async () => {
  await createAdmission(limits).caughtUp();
});
