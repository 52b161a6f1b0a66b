import { Transform, type Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { LIMITS } from '@instant-logs/schema';
import { COLLECTOR_ERRORS } from './errors.ts';

export interface AdmissionLimits {
  /** Bytes of request bodies read or being processed at once in this process (INGEST_MAX_IN_FLIGHT_BYTES). */
  maxInFlightBytes: number;
  /** The same per tenant (INGEST_MAX_TENANT_IN_FLIGHT_BYTES), so one tenant cannot take the whole process. */
  maxTenantInFlightBytes: number;
  /**
   * Why the queue behind cannot take a request of `bytes` now (its backlog is full), or undefined:
   * such requests are refused unread instead of after their body was read and parsed.
   */
  backlog?: (bytes: number) => string | undefined;
  /**
   * The store behind is falling behind (the embedded log's WAL_MAX_LAG_MS): a request then waits,
   * its body unread, until it catches up, and is refused only if it did not within `holdMs`.
   * Closed-loop clients slow to the store's pace instead of coming back after a Retry-After.
   */
  lag?: Lag;
}

export interface Lag {
  /** Why the store is too far behind for more now, or undefined. */
  behind(): string | undefined;
  /** Resolves when the store may have caught up (a batch was stored) or after `timeoutMs`. */
  progress(timeoutMs: number): Promise<void>;
  holdMs: number;
}

/** Bytes held for one request until its response is sent. */
export interface Reservation {
  /** Holds more bytes (a chunked body as it arrives); throws COLLECTOR_OVERLOADED when they do not fit. */
  grow(bytes: number): void;
  /** Gives the bytes back; idempotent. */
  release(): void;
}

export interface Admission {
  /** Reserves `bytes` for the tenant, or throws a 429 COLLECTOR_OVERLOADED naming the limit. */
  admit(tenant: string, bytes: number): Reservation;
  /** Resolves once the store is not too far behind, waiting up to its hold; else throws that 429. */
  caughtUp(): Promise<void>;
  /** Why the process is turning work away now (readiness reports it), or undefined. */
  overload(): string | undefined;
  inFlightBytes(): number;
}

const RETRY_AFTER_SECONDS = 1;
// Readiness stays "overloaded" this long after the last refusal, so a probe between two refusals sees it.
const OVERLOAD_HOLD_MS = 2_000;
// A compressed body is charged at this multiple of its size (capped at the uncompressed request limit):
// log batches compress 5–15×, and the decoded body, not the wire bytes, is what fills memory.
const COMPRESSION_ALLOWANCE = 10;

/** Which ceiling refused a request; a metric label. */
export const OVERLOAD_LIMITS = ['in_flight_bytes', 'tenant_in_flight_bytes', 'backlog', 'lag'] as const;
export type OverloadLimit = (typeof OVERLOAD_LIMITS)[number];

/** Hears every refusal and every change of the bytes in flight (the collector's metrics). */
export interface AdmissionObserver {
  refused(limit: OverloadLimit): void;
  inFlight(bytes: number): void;
}

/**
 * Counts the bytes of requests in flight per process and per tenant. A request is admitted when
 * its bytes fit under both ceilings, or when nothing else is in flight (so a body larger than a
 * ceiling is slow, never refused forever).
 */
export function createAdmission(
  limits: AdmissionLimits,
  clock: () => number = Date.now,
  observer?: AdmissionObserver,
): Admission {
  let total = 0;
  const perTenant = new Map<string, number>();
  let lastRefusalMs = -Infinity;

  const refuse = (limit: OverloadLimit, message: string): never => {
    lastRefusalMs = clock();
    observer?.refused(limit);
    throw COLLECTOR_ERRORS.OVERLOADED({
      reason: message,
      seconds: RETRY_AFTER_SECONDS,
      // No "Connection: close": closing on a body still arriving resets the connection, and the client
      // may lose this answer with it. Node reads and discards the refused body instead (CPU, not memory).
      headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
    });
  };

  const take = (tenant: string, held: number, bytes: number) => {
    const tenantHeld = perTenant.get(tenant) ?? 0;
    if (total > 0 && total + bytes > limits.maxInFlightBytes) {
      refuse(
        'in_flight_bytes',
        `the collector holds ${total} request bytes, over its limit of ${limits.maxInFlightBytes} (INGEST_MAX_IN_FLIGHT_BYTES)`,
      );
    }
    if (tenantHeld > 0 && tenantHeld + bytes > limits.maxTenantInFlightBytes) {
      const limit = `${limits.maxTenantInFlightBytes} (INGEST_MAX_TENANT_IN_FLIGHT_BYTES)`;
      refuse(
        'tenant_in_flight_bytes',
        `tenant "${tenant}" has ${tenantHeld} request bytes in flight, over its limit of ${limit}`,
      );
    }
    total += bytes;
    observer?.inFlight(total);
    perTenant.set(tenant, tenantHeld + bytes);
    return held + bytes;
  };

  const give = (tenant: string, bytes: number) => {
    total -= bytes;
    observer?.inFlight(total);
    const left = (perTenant.get(tenant) ?? 0) - bytes;
    if (left > 0) perTenant.set(tenant, left);
    else perTenant.delete(tenant);
  };

  return {
    admit(tenant, bytes) {
      const full = limits.backlog?.(bytes);
      if (full) refuse('backlog', full);
      let held = take(tenant, 0, bytes);
      let released = false;
      return {
        grow(more) {
          if (!released) held = take(tenant, held, more);
        },
        release() {
          if (released) return;
          released = true;
          give(tenant, held);
        },
      };
    },
    async caughtUp() {
      const { lag } = limits;
      if (!lag) return;
      const deadline = clock() + lag.holdMs;
      for (let behind = lag.behind(); behind; behind = lag.behind()) {
        const left = deadline - clock();
        if (left <= 0) refuse('lag', `${behind}; waited ${lag.holdMs} ms for it to catch up`);
        await lag.progress(left);
      }
    },
    overload() {
      const full = limits.backlog?.(0);
      if (full) return full;
      return clock() - lastRefusalMs < OVERLOAD_HOLD_MS
        ? 'requests were refused for overload in the last seconds'
        : undefined;
    },
    inFlightBytes: () => total,
  };
}

/** Pure: what a body of `contentLength` wire bytes is charged, its encoding considered. */
export function chargeFor(contentLength: number, contentEncoding: string | undefined): number {
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return contentLength;
  return Math.min(LIMITS.maxRequestBytes, contentLength * COMPRESSION_ALLOWANCE);
}

/**
 * Decides admission in preParsing, after auth named the tenant and before a byte of the body is
 * read, so an overloaded collector answers 429 at once instead of buffering bodies it then refuses.
 */
export function installAdmission(app: FastifyInstance, admission: Admission, maxBodyBytes: number): void {
  app.addHook('preParsing', async (request, reply, payload) => {
    const declared = request.headers['content-length'];
    const chunked = declared === undefined && request.headers['transfer-encoding'] !== undefined;
    if (declared === undefined && !chunked) return payload;
    // A body declared over the limit gets its 413 at once: a 429 would invite a retry that can never succeed.
    if (Number(declared) > maxBodyBytes) return payload;
    const encoding = request.headers['content-encoding'];
    const reservation = admission.admit(request.tenant, chunked ? 0 : chargeFor(Number(declared) || 0, encoding));
    // 'close' follows the response or a dropped connection, whichever comes first: every path gives the bytes back.
    reply.raw.once('close', reservation.release);
    // Held after the reservation, so the requests waiting count against the in-flight ceilings too.
    await admission.caughtUp();
    return chunked ? countingStream(payload, reservation, encoding) : payload;
  });
}

// A chunked body declares no length: its bytes are held as they arrive, and it fails with 429 the moment they no longer fit.
function countingStream(payload: Readable, reservation: Reservation, encoding: string | undefined): Readable {
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      try {
        reservation.grow(chargeFor(chunk.length, encoding));
        callback(null, chunk);
      } catch (err) {
        callback(err as Error);
      }
    },
  });
  payload.on('error', (err) => counter.destroy(err));
  return payload.pipe(counter);
}

/**
 * Defaults sized for the chart's 512 MiB collector: decoded bodies take several times their wire size.
 * Smaller ceilings answer health checks sooner under a flood but store less of it: refused bodies are
 * still read and discarded (bench/overload.ts: 8 MiB stored 60% fewer records than 32 MiB).
 */
export const DEFAULT_ADMISSION_LIMITS: Readonly<AdmissionLimits> = Object.freeze({
  maxInFlightBytes: 32 * 1024 * 1024,
  maxTenantInFlightBytes: 16 * 1024 * 1024,
});

/** Pure: admission limits from the parsed environment. */
export function admissionLimitsFromEnv(config: {
  INGEST_MAX_IN_FLIGHT_BYTES: number;
  INGEST_MAX_TENANT_IN_FLIGHT_BYTES: number;
}): AdmissionLimits {
  return {
    maxInFlightBytes: config.INGEST_MAX_IN_FLIGHT_BYTES,
    maxTenantInFlightBytes: config.INGEST_MAX_TENANT_IN_FLIGHT_BYTES,
  };
}
