import type { Level } from '@instant-logs/schema';
import { formatTime, resourcesOf, type Resource, type ServiceName } from './fleet.ts';
import type { IncidentKind } from './incidents.ts';
import type { Rng } from './rng.ts';

export type Attributes = Record<string, unknown>;

/** One generated record, shaped as the collector's LogRecordInput. */
export interface SampleRecord {
  timestamp: string | number;
  service: ServiceName;
  level: Level;
  message: string;
  attributes: Attributes;
  resource: Resource;
  trace_id?: string;
  span_id?: string;
}

/** Receives each record with its time in epoch milliseconds (records are logged out of time order). */
export type RecordSink = (atMs: number, record: SampleRecord) => void;

/** One unit of simulated work: a traced customer request, or an untraced background event. */
export interface Request {
  readonly rng: Rng;
  readonly incident: IncidentKind | null;
  readonly user: string;
  /** Where the customer is; gateways tag access lines with it. */
  readonly region: string;
  /** Logs a record for `service` at `offsetMs` after the request began, in that service's own span. */
  log(service: ServiceName, offsetMs: number, level: Level, message: string, attributes?: Attributes): void;
}

const REGIONS = ['eu-west-1', 'eu-central-1', 'us-east-1', 'us-west-2', 'ap-southeast-1'] as const;

/** Pure apart from the sink: starts a request at `startMs`; untraced requests carry no trace or span id. */
export function createRequest(
  rng: Rng,
  startMs: number,
  incident: IncidentKind | null,
  sink: RecordSink,
  traced: boolean,
): Request {
  const traceId = traced ? rng.hex(32) : undefined;
  const spans = new Map<ServiceName, { spanId: string; resource: Resource }>();
  return {
    rng,
    incident,
    user: userId(rng),
    region: rng.weighted([
      [REGIONS[0], 5],
      [REGIONS[1], 3],
      [REGIONS[2], 4],
      [REGIONS[3], 2],
      [REGIONS[4], 1],
    ]),
    log(service, offsetMs, level, message, attributes = {}) {
      let span = spans.get(service);
      if (!span) {
        span = { spanId: traced ? rng.hex(16) : '', resource: rng.pick(resourcesOf(service)) };
        spans.set(service, span);
      }
      const atMs = startMs + offsetMs;
      const record: SampleRecord = {
        timestamp: formatTime(service, atMs),
        service,
        level,
        message,
        attributes,
        resource: span.resource,
      };
      if (traceId) {
        record.trace_id = traceId;
        record.span_id = span.spanId;
      }
      sink(atMs, record);
    },
  };
}

// Squaring skews toward low ids: a few regulars make most requests, as on a real shop (and facets show it).
function userId(rng: Rng): string {
  const f = rng.float();
  return `u_${10000 + Math.floor(f * f * 40000)}`;
}

/** Pure: an order id such as "ord_3fa9c2d1e0". */
export function orderId(rng: Rng): string {
  return `ord_${rng.hex(10)}`;
}

/** Pure: a product SKU; low numbers are the best sellers. */
export function sku(rng: Rng): string {
  const f = rng.float();
  return `sku-${1000 + Math.floor(f * f * 900)}`;
}

/** Pure: rounds a latency for display, keeping one decimal below 10 ms. */
export function ms(value: number): number {
  return value < 10 ? Math.round(value * 10) / 10 : Math.round(value);
}
