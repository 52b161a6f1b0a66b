import type http from 'node:http';
import { request } from './http.ts';

/** The server's Prometheus metrics, each name's samples summed over labels. */
export async function scrape(agent: http.Agent, port: number): Promise<Map<string, number>> {
  const { text } = await request(agent, port, 'GET', '/metrics');
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{[^}]*\})? (\S+)$/.exec(line);
    if (m) values.set(m[1]!, (values.get(m[1]!) ?? 0) + Number(m[2]));
  }
  return values;
}

/** Pure: what the processor did between two scrapes: batches, mean rows per insert, time spent inserting. */
export function insertActivity(before: Map<string, number>, after: Map<string, number>, windowMs: number) {
  const d = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
  const batches = d('instant_logs_processor_insert_seconds_count');
  const insertSeconds = d('instant_logs_processor_insert_seconds_sum');
  return {
    batches,
    meanRowsPerInsert: Math.round(d('instant_logs_processor_batch_rows_sum') / (batches || 1)),
    meanInsertMs: Math.round((insertSeconds / (batches || 1)) * 1000),
    // Share of wall time the single writer spent inside store.insert: near 1 means ClickHouse is the limit.
    writerBusy: Math.round((insertSeconds / (windowMs / 1000)) * 100) / 100,
  };
}
