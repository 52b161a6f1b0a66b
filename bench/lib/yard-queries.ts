// The side-by-side queries, each in both systems' own language over HTTP, with the answer the
// generated data says is right, so a fast wrong answer cannot pass.
import { COMMON_WORD, RARE_WORD, type YardFacts } from './yard-records.ts';

/** What a response held, reduced to what can be checked. */
export interface Answer {
  rows: number;
  /** For the count query: records by level. */
  byLevel?: Record<string, number>;
}

/** One query as each system is asked it, and the answer expected from the data. */
export interface YardQuery {
  name: string;
  ours: string;
  victoria: string;
  expected: Answer;
  parseOurs(body: string): Answer;
  parseVictoria(body: string): Answer;
}

const LIMIT = 100;
const searchRows = (body: string): Answer => ({ rows: (JSON.parse(body) as { records: unknown[] }).records.length });
const lines = (body: string) => body.split('\n').filter((l) => l.trim() !== '');
const victoriaRows = (body: string): Answer => ({ rows: lines(body).length });

/** Pure: the five queries over the facts' whole time range. */
export function yardQueries(f: YardFacts): YardQuery[] {
  const ours = (q: string) =>
    `/api/v1/logs?${new URLSearchParams({ q, from: String(f.fromMs), to: String(f.toMs), limit: String(LIMIT) })}`;
  // `end` is exclusive in VictoriaLogs; every record is before toMs.
  const range = { start: new Date(f.fromMs).toISOString(), end: new Date(f.toMs).toISOString() };
  const victoria = (query: string, limit = true) =>
    `/select/logsql/query?${new URLSearchParams({ query, ...range, ...(limit ? { limit: String(LIMIT) } : {}) })}`;
  const search = (name: string, q: string, logsql: string, matches: number): YardQuery => ({
    name,
    ours: ours(q),
    victoria: victoria(logsql),
    expected: { rows: Math.min(LIMIT, matches) },
    parseOurs: searchRows,
    parseVictoria: victoriaRows,
  });
  return [
    search(
      `last 100 matching a rare word ("${RARE_WORD}", ${f.rareMatches.toLocaleString('en-US')} matches)`,
      RARE_WORD,
      RARE_WORD,
      f.rareMatches,
    ),
    search(
      `last 100 matching a common word ("${COMMON_WORD}", ${f.commonMatches.toLocaleString('en-US')} matches)`,
      COMMON_WORD,
      COMMON_WORD,
      f.commonMatches,
    ),
    search(`one request id in ${f.records.toLocaleString('en-US')} records (needle)`, f.needle, f.needle, 1),
    {
      name: 'count by level over the whole range',
      ours: `/api/v1/logs/histogram?${new URLSearchParams({ from: `${f.fromMs}`, to: `${f.toMs}`, buckets: '1' })}`,
      victoria: victoria('* | stats by (level) count() n', false),
      expected: { rows: Object.keys(f.byLevel).length, byLevel: f.byLevel },
      parseOurs(body) {
        const byLevel: Record<string, number> = {};
        for (const b of (JSON.parse(body) as { buckets: { counts: Record<string, number> }[] }).buckets) {
          for (const [level, n] of Object.entries(b.counts)) if (n > 0) byLevel[level] = (byLevel[level] ?? 0) + n;
        }
        return { rows: Object.keys(byLevel).length, byLevel };
      },
      parseVictoria(body) {
        const byLevel = Object.fromEntries(
          lines(body)
            .map((l) => JSON.parse(l) as { level: string; n: string })
            .map((x) => [x.level, Number(x.n)]),
        );
        return { rows: Object.keys(byLevel).length, byLevel };
      },
    },
    // A stream filter is how VictoriaLogs narrows by service (the stream field); level is a plain field.
    search(
      `last 100 of service payments, level error (${f.paymentsErrors.toLocaleString('en-US')} matches)`,
      'service:payments level:error',
      '{service="payments"} level:=error',
      f.paymentsErrors,
    ),
  ];
}

/** Pure: whether an answer is the expected one (rows, and counts by level when given). */
export function answerIsRight(expected: Answer, got: Answer): boolean {
  if (expected.rows !== got.rows) return false;
  if (!expected.byLevel) return true;
  return Object.entries(expected.byLevel).every(([level, n]) => got.byLevel?.[level] === n);
}
