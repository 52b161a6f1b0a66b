import { createHash } from 'node:crypto';
import { formatQuery, QUERY_LIMITS } from '@instant-logs/query-language';
import { formatTimestamp, LEVELS, type LogPattern, type Patterns } from '@instant-logs/schema';
import type { SampledMessage } from '@instant-logs/store';
import { clusterMessages } from './drain.ts';

export interface SummaryRequest {
  /** Newest first, as the store samples them. */
  messages: readonly SampledMessage[];
  /** Every record matching the filters, sampled or not. */
  total: number;
  fromMs: number;
  toMs: number;
  buckets: number;
  limit: number;
}

/** Pure: the patterns of a sample, most frequent first, with counts of sampled messages. */
export function summarizePatterns(request: SummaryRequest): Patterns {
  const { messages, total, buckets, limit } = request;
  const sampled = messages.length;
  const oldest = messages.at(-1)?.ms;
  // A sample that stops short of the range's start has nothing to say about the time before it.
  const fromMs = sampled < total && oldest !== undefined ? Math.max(request.fromMs, oldest) : request.fromMs;
  const span = Math.max(1, request.toMs - fromMs + 1);
  const bucketOf = (ms: number) => Math.min(buckets - 1, Math.max(0, Math.floor(((ms - fromMs) * buckets) / span)));
  const clusters = clusterMessages(messages.map((m) => m.body)).sort(
    (a, b) => b.members.length - a.members.length || (a.template < b.template ? -1 : 1),
  );
  const patterns = clusters.slice(0, limit).map((cluster): LogPattern => {
    const levels: Record<string, number> = Object.fromEntries(LEVELS.map((l) => [l, 0]));
    const sparkline = new Array<number>(buckets).fill(0);
    let newest = cluster.members[0]!;
    for (const i of cluster.members) {
      const m = messages[i]!;
      levels[m.level] = (levels[m.level] ?? 0) + 1;
      sparkline[bucketOf(m.ms)]!++;
      if (i < newest) newest = i;
    }
    const count = cluster.members.length;
    const query = formatQuery({ kind: 'phrase', field: 'pattern', text: cluster.template });
    return {
      id: patternId(cluster.template),
      template: cluster.template,
      query: query.length <= QUERY_LIMITS.maxLength ? query : null,
      count,
      share: count / sampled,
      estimated_total: Math.round((count / sampled) * total),
      levels,
      sparkline,
      example: messages[newest]!.body,
    };
  });
  const shown = patterns.reduce((n, p) => n + p.count, 0);
  return {
    total,
    sampled,
    sample_from: oldest === undefined ? null : formatTimestamp(BigInt(oldest) * 1_000_000n),
    sparkline: {
      from: new Date(fromMs).toISOString(),
      to: new Date(request.toMs).toISOString(),
      interval_ms: span / buckets,
    },
    other: sampled - shown,
    patterns,
  };
}

/** Pure: a template's stable id, the first 16 hex digits of its SHA-256. */
export function patternId(template: string): string {
  return createHash('sha256').update(template).digest('hex').slice(0, 16);
}
