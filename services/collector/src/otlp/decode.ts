import { OtlpDecodeError } from './error.ts';
import { decodeJsonLogs } from './json.ts';
import { decodeProtobufLogs } from './proto.ts';

export { OtlpDecodeError, type OtlpDecodeErrorCode } from './error.ts';

/** The two OTLP/HTTP encodings. */
export type OtlpEncoding = 'json' | 'protobuf';

/** Pure: the OTLP encoding a Content-Type names (parameters such as charset ignored), or undefined. */
export function otlpEncodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const media = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (media === 'application/json') return 'json';
  // The spec says application/x-protobuf; application/protobuf is the registered name some clients send.
  if (media === 'application/x-protobuf' || media === 'application/protobuf') return 'protobuf';
  return undefined;
}

/**
 * Pure: decodes an OTLP/HTTP ExportLogsServiceRequest (already decompressed) into collector input objects,
 * one per LogRecord, for normalizeRecord. Throws OtlpDecodeError: 415 for another Content-Type, 400 for a
 * malformed body. An empty request yields no records.
 */
export function decodeOtlpLogs(body: Buffer, contentType: string): { records: unknown[] } {
  const encoding = otlpEncodingOf(contentType);
  if (encoding === 'json') return { records: decodeJsonLogs(body.toString('utf8')) };
  if (encoding === 'protobuf') return { records: decodeProtobufLogs(body) };
  throw new OtlpDecodeError(
    `Content-Type "${contentType}" is not an OTLP encoding; send application/x-protobuf or application/json`,
    {
      code: 'OTLP_UNSUPPORTED_MEDIA_TYPE',
      field: 'Content-Type',
    },
  );
}
