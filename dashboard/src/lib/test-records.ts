import type { LogRecord } from '@instant-logs/schema';

/** Test helper: a stored record with `id` and overrides. */
export const record = (id: string, overrides: Partial<LogRecord> = {}): LogRecord => ({
  id,
  tenant: 'default',
  timestamp: '2026-11-23T10:00:00.000000000Z',
  observed_timestamp: '2026-11-23T10:00:00.000000000Z',
  service: 'api',
  level: 'info',
  severity_text: 'INFO',
  severity_number: 9,
  body: `message ${id}`,
  attributes: {},
  resource: {},
  trace_id: '',
  span_id: '',
  ...overrides,
});
