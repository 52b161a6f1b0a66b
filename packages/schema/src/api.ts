import { z } from 'zod';
import { LEVELS, levelFromText, type Level } from './severity.ts';
import { LogRecord } from './log-record.ts';

/** Every error the HTTP services answer with: a stable code, a message for people, the field at fault. */
export const ApiError = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    field: z.string().optional(),
    position: z.number().int().optional(),
  }),
});
export type ApiError = z.infer<typeof ApiError>;

/** Answer to an ingest request: what was kept, what was refused and why, record by record. */
export const IngestResponse = z.object({
  accepted: z.number().int(),
  rejected: z.number().int(),
  errors: z.array(z.object({ index: z.number().int(), field: z.string(), message: z.string() })),
});
export type IngestResponse = z.infer<typeof IngestResponse>;

// The same spellings as `level:` in a query (aliases such as "warning" included), normalised to the six levels.
const levelName = z.string().transform((text, ctx): Level => {
  const level = levelFromText(text);
  if (level) return level;
  ctx.addIssue({
    code: 'custom',
    message: `"${text.slice(0, 64)}" is not a level; use ${LEVELS.join(', ')} or an alias such as warning`,
  });
  return z.NEVER;
});
const levelList = z.preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(levelName));
const serviceList = z.preprocess(
  (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]),
  z.array(z.string().min(1)),
);

/** Filters shared by the search, histogram, facets and tail endpoints (query-string form). */
export const LogFilterQuery = z.object({
  from: z.string().default('now-15m').describe('RFC 3339, epoch milliseconds, or now-15m / now-2h / now-7d'),
  to: z.string().default('now').describe('as from'),
  service: serviceList.describe('repeatable: records of any of these services'),
  level: levelList.describe(`repeatable: ${LEVELS.join(', ')} or an alias such as warning`),
  q: z
    .string()
    .max(4096)
    .default('')
    .describe('search syntax: words, "phrases", prefix*, field:value, field:>=N, -exclusion, OR, ( )'),
});
export type LogFilterQuery = z.infer<typeof LogFilterQuery>;

export const LogSearchQuery = LogFilterQuery.extend({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().optional().describe('next_cursor of the previous page'),
});
export type LogSearchQuery = z.infer<typeof LogSearchQuery>;

/** One page of records, newest first; `next_cursor` continues after the last one. */
export const LogPage = z.object({
  records: z.array(LogRecord),
  next_cursor: z.string().nullable(),
});
export type LogPage = z.infer<typeof LogPage>;

export const HistogramQuery = LogFilterQuery.extend({
  /** Number of buckets wanted; the bucket width is rounded to a readable step. */
  buckets: z.coerce.number().int().min(1).max(1000).default(60),
});
export type HistogramQuery = z.infer<typeof HistogramQuery>;

export const Histogram = z.object({
  interval_ms: z.number().int(),
  buckets: z.array(z.object({ time: z.string(), counts: z.record(z.string(), z.number().int()) })),
});
export type Histogram = z.infer<typeof Histogram>;

export const FacetsQuery = LogFilterQuery.extend({
  /** Attribute keys whose top values are wanted besides service and level. */
  attribute: z.preprocess(
    (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]),
    z.array(z.string().min(1).max(256)).max(10),
  ),
  size: z.coerce.number().int().min(1).max(100).default(10),
});
export type FacetsQuery = z.infer<typeof FacetsQuery>;

export const Facets = z.object({
  facets: z.array(
    z.object({ field: z.string(), values: z.array(z.object({ value: z.string(), count: z.number().int() })) }),
  ),
});
export type Facets = z.infer<typeof Facets>;

/** The live tail's query string: the filters without a time range, and where to resume. */
export const TailQuery = LogFilterQuery.pick({ service: true, level: true, q: true }).extend({
  /** Resume after this position (from an earlier message) instead of from now. */
  since: z.string().max(200).optional(),
});
export type TailQuery = z.infer<typeof TailQuery>;

/** What the live tail's WebSocket sends: ready, then batches of records, or one error before it closes. */
export const TailMessage = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), position: z.string() }),
  z.object({
    type: z.literal('records'),
    records: z.array(LogRecord),
    position: z.string().describe('resume after the last record sent'),
  }),
  z.object({ type: z.literal('error'), error: ApiError.shape.error, position: z.string().optional() }),
]);
export type TailMessage = z.infer<typeof TailMessage>;

/** A single-use stand-in for the API key in the live tail's URL. */
export const TailTicket = z.object({ ticket: z.string(), expires_at: z.string() });
export type TailTicket = z.infer<typeof TailTicket>;

/** What one service of a tenant holds; `bytes` is the uncompressed text (body, attribute keys and values). */
export const ServiceUsage = z.object({
  service: z.string(),
  records: z.number().int(),
  bytes: z.number().int(),
  oldest: z.string(),
  newest: z.string(),
});
export const Usage = z.object({ services: z.array(ServiceUsage) });
export type Usage = z.infer<typeof Usage>;

/** Deletes the caller's records matching `q` in [from, to]; an empty request is refused (send from: "0" for all time). */
export const DeleteRequest = z.strictObject({
  q: z.string().max(4096).optional(),
  from: z.string().max(64).optional(),
  to: z.string().max(64).optional(),
});
export type DeleteRequest = z.infer<typeof DeleteRequest>;

export const DeleteResult = z.object({ deleted: z.number().int() });
export type DeleteResult = z.infer<typeof DeleteResult>;

/** The default and the most messages a patterns request clusters (its `sample`). */
export const PATTERN_SAMPLE = { default: 10_000, max: 50_000 } as const;

export const PatternsQuery = LogFilterQuery.extend({
  sample: z.coerce
    .number()
    .int()
    .min(1)
    .max(PATTERN_SAMPLE.max)
    .default(PATTERN_SAMPLE.default)
    .describe(`the newest this many matching messages are grouped (default ${PATTERN_SAMPLE.default})`),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(500)
    .default(50)
    .describe('at most this many patterns, most frequent first'),
  buckets: z.coerce.number().int().min(1).max(120).default(30).describe('points in each sparkline'),
});
export type PatternsQuery = z.infer<typeof PatternsQuery>;

/** One template and what the sample holds of it; every count is a count of sampled messages. */
export const LogPattern = z.object({
  id: z.string().describe('a hash of the template: the same template has the same id in every answer'),
  template: z
    .string()
    .describe(
      'the message with variable parts as <NUM>, <UUID>, <IP>, <HEX>, <DURATION>, <EMAIL>, <ID>, <QUOTED>, <*>',
    ),
  query: z
    .string()
    .nullable()
    .describe(
      'the search clause selecting the messages of this template, pattern:"…"; null when over the 4096-character limit of q',
    ),
  count: z.number().int().describe('sampled messages with this template'),
  share: z.number().describe('count / sampled, from 0 to 1'),
  estimated_total: z.number().int().describe('share × total: the matching records in the whole range, estimated'),
  levels: z.record(z.string(), z.number().int()).describe('sampled messages per level'),
  sparkline: z.array(z.number().int()).describe('sampled messages per bucket, oldest first'),
  example: z.string().describe('the newest sampled message'),
});
export type LogPattern = z.infer<typeof LogPattern>;

export const Patterns = z.object({
  total: z.number().int().describe('records matching the filters in the range'),
  sampled: z.number().int().describe('the newest matching records grouped: min(total, sample)'),
  sample_from: z
    .string()
    .nullable()
    .describe('timestamp of the oldest sampled record; the sparklines span from it (or from `from`) to `to`'),
  sparkline: z.object({ from: z.string(), to: z.string(), interval_ms: z.number() }),
  other: z.number().int().describe('sampled messages in patterns beyond `limit`'),
  patterns: z.array(LogPattern),
});
export type Patterns = z.infer<typeof Patterns>;
