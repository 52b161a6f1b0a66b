import { defineErrors } from '@instant-logs/service-kit';

/** Every code the collector declares besides the kit's shared ones; answered as `COLLECTOR_<code>`. */
export const COLLECTOR_ERRORS = defineErrors({
  EMPTY: { status: 400, message: '{reason}' },
  INVALID_RECORDS: { status: 400, message: 'every record was rejected; first: record {index}, {field} {reason}' },
  BAD_ENCODING: { status: 400, message: 'body is not valid {encoding} data: {reason}' },
  BAD_SNAPPY: { status: 400, message: 'protobuf body is not a valid snappy block: {reason}' },
  INVALID_PUSH: { status: 400, message: 'body must be a Loki push request: {"streams":[{"stream":{…},"values":[…]}]}' },
  INVALID_PROTOBUF: { status: 400, message: 'body is not a Loki PushRequest: {reason}' },
  INVALID_SYSLOG_OPTION: { status: 400, message: 'syslog option {field} {reason}' },
  BAD_IDEMPOTENCY_KEY: { status: 400, message: 'Idempotency-Key must be 1-255 visible ASCII characters' },
  IDEMPOTENCY_KEY_IN_FLIGHT: {
    status: 409,
    message: 'a request with this Idempotency-Key is still being answered; retry after it',
  },
  IDEMPOTENCY_KEY_PENDING: {
    status: 503,
    message: 'a request with this Idempotency-Key is still being answered; retry after it',
  },
  IDEMPOTENCY_KEY_REUSED: {
    status: 422,
    message: 'this Idempotency-Key was used with a different body: use a new key for a new request',
  },
  TOO_MANY_RECORDS: { status: 413, message: 'a request may hold at most {max} records; split it' },
  UNSUPPORTED_ENCODING: {
    status: 415,
    message: 'Content-Encoding "{encoding}" is not supported; use gzip, zstd, deflate or none',
  },
  OVERLOADED: { status: 429, message: '{reason}; retry after {seconds} s' },
  QUEUE_FULL: { status: 429, message: '{reason}; retry later' },
  TENANT_RATE_LIMITED: {
    status: 429,
    message: 'tenant "{tenant}" is over its limit of {rate} {unit} (per collector replica); retry after {seconds} s',
  },
  STORE_REJECTED: { status: 500, message: 'records were not stored: {reason}' },
  QUEUE_UNAVAILABLE: { status: 503, message: 'records were not stored: {reason}' },
  INGEST_THREAD_LOST: { status: 503, message: 'records were not stored: the ingest thread {reason}; retry' },
});
