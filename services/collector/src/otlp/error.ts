/** Why an OTLP request was refused as a whole; the codes are stable, the messages are for people. */
export type OtlpDecodeErrorCode = 'OTLP_MALFORMED' | 'OTLP_UNSUPPORTED_MEDIA_TYPE';

/**
 * A body that is not a well-formed ExportLogsServiceRequest (400), or an encoding we do not speak (415).
 * Shaped like service-kit's CodedError (statusCode, code, field, position) so the route can rethrow it as one.
 */
export class OtlpDecodeError extends Error {
  readonly statusCode: 400 | 415;
  readonly code: OtlpDecodeErrorCode;
  /** The OTLP path at fault, e.g. `resourceLogs[0].scopeLogs[1].logRecords[2].timeUnixNano` or `LogRecord.time_unix_nano`. */
  readonly field: string | undefined;
  /** Byte offset into the protobuf body where decoding stopped. */
  readonly position: number | undefined;
  constructor(message: string, extra: { code?: OtlpDecodeErrorCode; field?: string; position?: number } = {}) {
    super(message);
    this.name = 'OtlpDecodeError';
    this.code = extra.code ?? 'OTLP_MALFORMED';
    this.statusCode = this.code === 'OTLP_UNSUPPORTED_MEDIA_TYPE' ? 415 : 400;
    this.field = extra.field;
    this.position = extra.position;
  }
}
