import { createRequire } from 'node:module';
import { Kafka, type KafkaConfig } from 'kafkajs';
import { registerZstdCodec } from './kafka-zstd.ts';

/** The parts of kafkajs' RequestQueue (src/network/requestQueue) the fix below reads and replaces. */
export interface RequestQueueInternals {
  throttledUntil: number;
  pending: unknown[];
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  checkPendingRequests(): void;
  scheduleCheckPendingRequests(): void;
}

// The release whose RequestQueue this fix was written against; a later one is left as it is.
const KAFKAJS_VERSION = '2.2.4';
// kafkajs' own CHECK_PENDING_REQUESTS_INTERVAL: how soon a waiting request is looked at again.
const RECHECK_MS = 10;

const require = createRequire(import.meta.url);
let fixed = false;

/**
 * kafkajs 2.2.4 schedules its pending-request check even when nothing is pending, after
 * `throttledUntil - Date.now()` ms, and throttledUntil is -1 until a broker throttles: a negative delay, which
 * Node 24 reports as TimeoutNegativeWarning and runs after 1 ms. Each check schedules the next, so every
 * connection polls every millisecond for its whole life (tulios/kafkajs#1751 and #1704, fixed in no release).
 * A check is only needed while a request waits: one pushed while throttled schedules its own, and every
 * response checks again. Returns the class, for tests.
 */
export function fixKafkaRequestQueue(): { prototype: RequestQueueInternals } | undefined {
  const version = (require('kafkajs/package.json') as { version: string }).version;
  if (version !== KAFKAJS_VERSION) return undefined;
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: RequestQueueInternals };
  if (fixed) return RequestQueue;
  fixed = true;
  RequestQueue.prototype.scheduleCheckPendingRequests = function (this: RequestQueueInternals) {
    if (this.throttleCheckTimeoutId || this.pending.length === 0) return;
    const untilUnthrottled = this.throttledUntil - Date.now();
    this.throttleCheckTimeoutId = setTimeout(
      () => {
        this.throttleCheckTimeoutId = null;
        this.checkPendingRequests();
      },
      untilUnthrottled > 0 ? untilUnthrottled : RECHECK_MS,
    );
  };
  return RequestQueue;
}

/** A kafkajs client, its request queue fixed first (see fixKafkaRequestQueue). Every Kafka client is made here. */
export function createKafkaClient(config: KafkaConfig): Kafka {
  fixKafkaRequestQueue();
  registerZstdCodec();
  return new Kafka(config);
}
