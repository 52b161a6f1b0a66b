import { policyFor, type TenantPolicies, type TenantPolicy } from '@instant-logs/schema';
import type { CodedError } from '@instant-logs/service-kit';
import { COLLECTOR_ERRORS } from './errors.ts';

export type LimitName = 'records_per_second' | 'bytes_per_second';

/** Why a request was refused and how long until the same request would be admitted. */
export interface Refusal {
  tenant: string;
  limit: LimitName;
  rate: number;
  retryAfterSeconds: number;
}

export interface TenantLimits {
  /** The tenant's merged policy (cached: tenants are bounded by the API keys). */
  policy(tenant: string): TenantPolicy;
  /** Takes tokens for a whole request, or none and says why; never admits part of a request. */
  take(tenant: string, records: number, bytes: number): Refusal | undefined;
  /** A bounded metric label: configured tenants by name, every other tenant as 'other'. */
  label(tenant: string): string;
}

interface Bucket {
  limit: LimitName;
  rate: number;
  capacity: number;
  tokens: number;
  updatedMs: number;
}

/**
 * Token buckets per tenant for records/s and bytes/s, each holding rate × burstSeconds and
 * starting full. State lives in this object, so the limits hold per collector replica: N
 * replicas behind a load balancer admit up to N times the configured rate in total.
 */
export function createTenantLimits(policies: TenantPolicies, clock: () => number = Date.now): TenantLimits {
  const cachedPolicies = new Map<string, TenantPolicy>();
  const buckets = new Map<string, Bucket[]>();

  const policy = (tenant: string): TenantPolicy => {
    let found = cachedPolicies.get(tenant);
    if (!found) cachedPolicies.set(tenant, (found = policyFor(policies, tenant)));
    return found;
  };

  const bucketsOf = (tenant: string): Bucket[] => {
    let found = buckets.get(tenant);
    if (found) return found;
    const p = policy(tenant);
    const now = clock();
    found = [];
    if (p.recordsPerSecond !== undefined)
      found.push(newBucket('records_per_second', p.recordsPerSecond, p.burstSeconds, now));
    if (p.bytesPerSecond !== undefined)
      found.push(newBucket('bytes_per_second', p.bytesPerSecond, p.burstSeconds, now));
    buckets.set(tenant, found);
    return found;
  };

  return {
    policy,
    take(tenant, records, bytes) {
      const now = clock();
      const own = bucketsOf(tenant);
      let refusal: Refusal | undefined;
      for (const b of own) {
        refill(b, now);
        const wait = waitSeconds(b, b.limit === 'records_per_second' ? records : bytes);
        if (wait > 0 && (!refusal || wait > refusal.retryAfterSeconds))
          refusal = { tenant, limit: b.limit, rate: b.rate, retryAfterSeconds: wait };
      }
      if (refusal) return { ...refusal, retryAfterSeconds: wholeSeconds(refusal.retryAfterSeconds) };
      // Checked all before charging any, so a request refused by one limit costs nothing from the other.
      for (const b of own) b.tokens -= b.limit === 'records_per_second' ? records : bytes;
      return undefined;
    },
    label: (tenant) => (Object.hasOwn(policies.tenants, tenant) ? tenant : 'other'),
  };
}

/** Pure: the 429 a refused request answers with, Retry-After included. */
export function throttledError(refusal: Refusal): CodedError {
  const what = refusal.limit === 'records_per_second' ? 'records per second' : 'bytes per second';
  return COLLECTOR_ERRORS.TENANT_RATE_LIMITED({
    tenant: refusal.tenant,
    rate: refusal.rate,
    unit: what,
    seconds: refusal.retryAfterSeconds,
    headers: { 'retry-after': String(refusal.retryAfterSeconds) },
  });
}

function newBucket(limit: LimitName, rate: number, burstSeconds: number, now: number): Bucket {
  const capacity = rate * burstSeconds;
  return { limit, rate, capacity, tokens: capacity, updatedMs: now };
}

function refill(b: Bucket, now: number): void {
  // A clock that steps back must not mint tokens later: only forward time refills.
  const elapsedMs = Math.max(0, now - b.updatedMs);
  b.tokens = Math.min(b.capacity, b.tokens + (elapsedMs * b.rate) / 1000);
  b.updatedMs = Math.max(b.updatedMs, now);
}

// A request larger than the whole bucket needs only a full bucket, then leaves it in debt: it is
// not refused forever, and the debt delays later requests so the long-run rate still holds.
function waitSeconds(b: Bucket, need: number): number {
  const required = Math.min(need, b.capacity);
  return b.tokens >= required ? 0 : (required - b.tokens) / b.rate;
}

// Rounded to milliseconds first so float noise (2.0000000001 s) does not add a whole second.
const wholeSeconds = (seconds: number) => Math.max(1, Math.ceil(Math.round(seconds * 1000) / 1000));
