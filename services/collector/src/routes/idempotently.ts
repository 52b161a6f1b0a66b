import type { FastifyRequest } from 'fastify';
import type { IngestResponse } from '@instant-logs/schema';
import { CodedError } from '@instant-logs/service-kit';
import type { AcceptDeps } from '../accept.ts';
import { COLLECTOR_ERRORS } from '../errors.ts';
import { idempotencyClaim, type IdempotencyClaim } from '../idempotency.ts';

/**
 * Runs an ingest request under its Idempotency-Key: a retry of a request that stored records gets the first
 * answer back (`replayed`) without running again, and only an answer that stored records is remembered. OTLP
 * exporters and Loki clients retry 429 and 5xx only, so on their routes a key whose first request is still
 * being answered is 503 with Retry-After instead of POST /api/v1/logs' 409.
 */
export async function idempotently(
  request: FastifyRequest,
  deps: AcceptDeps,
  route: 'logs' | 'otlp' | 'loki',
  body: Buffer,
  run: (claim: IdempotencyClaim | undefined) => Promise<IngestResponse>,
): Promise<{ response: IngestResponse; replayed: boolean }> {
  const header = request.headers['idempotency-key'];
  const claim = deps.idempotency ? idempotencyClaim(header, body, route === 'logs' ? undefined : route) : undefined;
  const outcome = claim ? claimOrRetry(deps, request.tenant, claim, route) : undefined;
  if (outcome?.kind === 'replay') return { response: outcome.response, replayed: true };
  let response: IngestResponse | undefined;
  try {
    response = await run(claim);
    return { response, replayed: false };
  } finally {
    // After a failure, or when nothing was stored, the same key may try again.
    if (outcome?.kind === 'new') outcome.settle(response !== undefined && response.accepted > 0 ? response : undefined);
  }
}

function claimOrRetry(deps: AcceptDeps, tenant: string, claim: IdempotencyClaim, route: string) {
  try {
    return deps.idempotency!.claim(tenant, claim);
  } catch (err) {
    if (route === 'logs' || !(err instanceof CodedError) || err.code !== 'IDEMPOTENCY_KEY_IN_FLIGHT') throw err;
    throw COLLECTOR_ERRORS.IDEMPOTENCY_KEY_PENDING({ field: 'idempotency-key', headers: { 'retry-after': '1' } });
  }
}
