/**
 * Intake limits, modelled on hosted log intakes; each violation is a per-record or per-request error.
 * A limit named in bytes counts UTF-8 bytes (Buffer.byteLength); a length counts UTF-16 code units
 * (String#length), as zod's max() does.
 */
export const LIMITS = Object.freeze({
  /** Uncompressed bytes in one ingest request. */
  maxRequestBytes: 5 * 1024 * 1024,
  /** Bytes of one record as sent (its JSON text). */
  maxRecordBytes: 1024 * 1024,
  /** Attributes per map after nested objects are flattened. */
  maxAttributes: 256,
  /** Characters (UTF-16 code units) in one attribute key, dotted path included. */
  maxKeyLength: 256,
  /** Nesting depth of attribute objects, and of arrays or objects kept whole as JSON text (a body, an array value). */
  maxDepth: 10,
  /** Characters (UTF-16 code units) in one string value: a body, an attribute or resource value. */
  maxValueLength: 1024 * 1024,
  /** Characters (UTF-16 code units) in a severity text. */
  maxSeverityTextLength: 64,
  /** Characters (UTF-16 code units) in a service name. */
  maxServiceLength: 256,
  /** Records in one request. */
  maxRecordsPerRequest: 100_000,
});
