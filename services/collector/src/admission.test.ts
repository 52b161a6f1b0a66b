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
