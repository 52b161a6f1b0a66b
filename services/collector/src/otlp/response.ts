import { otlpEncodingOf } from './decode.ts';
import { WireWriter } from './wire.ts';

// OTLP/HTTP answers in the encoding the request used: https://opentelemetry.io/docs/specs/otlp/#otlphttp-response

/** What an OTLP client is told about records the collector did not take. */
export interface OtlpPartialSuccess {
  rejectedLogRecords: number | bigint;
  errorMessage?: string;
}

/** A response body with the Content-Type to send it under. */
export interface OtlpResponse {
  contentType: 'application/json' | 'application/x-protobuf';
  body: Buffer;
}

/**
 * Pure: encodes an ExportLogsServiceResponse in the request's encoding. Full success (nothing rejected, no
 * message) leaves partial_success unset, as the spec asks; a message with 0 rejected is a warning.
 */
export function encodeExportLogsResponse(requestContentType: string, partial?: OtlpPartialSuccess): OtlpResponse {
  const rejected = BigInt(partial?.rejectedLogRecords ?? 0);
  const message = partial?.errorMessage ?? '';
  const full = rejected === 0n && message === '';
  if (otlpEncodingOf(requestContentType) === 'json') {
    // Proto3 JSON leaves out default values and writes int64 as a decimal string.
    const partialSuccess = {
      ...(rejected !== 0n && { rejectedLogRecords: rejected.toString() }),
      ...(message && { errorMessage: message }),
    };
    return json(full ? {} : { partialSuccess });
  }
  const w = new WireWriter();
  if (!full) {
    w.message(1, (p) => {
      if (rejected !== 0n) p.varint(1, rejected);
      if (message) p.string(2, message);
    });
  }
  return { contentType: 'application/x-protobuf', body: w.finish() };
}

/**
 * Pure: encodes the google.rpc.Status that OTLP/HTTP prescribes as the body of 4xx/5xx answers, in the
 * request's encoding (protobuf when the request's own was not understood). `code` is a gRPC status code,
 * e.g. 3 INVALID_ARGUMENT for a 400 or 8 RESOURCE_EXHAUSTED for a 429.
 */
export function encodeOtlpStatus(requestContentType: string, status: { code: number; message: string }): OtlpResponse {
  if (otlpEncodingOf(requestContentType) === 'json') return json({ code: status.code, message: status.message });
  const w = new WireWriter();
  if (status.code !== 0) w.varint(1, status.code);
  if (status.message) w.string(2, status.message);
  return { contentType: 'application/x-protobuf', body: w.finish() };
}

function json(value: unknown): OtlpResponse {
  return { contentType: 'application/json', body: Buffer.from(JSON.stringify(value)) };
}
