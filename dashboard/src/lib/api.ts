import { ApiError, Facets, Histogram, LogPage, Patterns, type Level } from '@instant-logs/schema';
import type { ResolvedRange } from './time-range.ts';

/** What the API said no with (or NETWORK when it could not be reached), with the query position if any. */
export class ApiRequestError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly position: number | undefined;
  constructor(status: number, code: string, message: string, field?: string, position?: number) {
    super(message);
    this.name = 'ApiRequestError';
    this.status = status;
    this.code = code;
    this.field = field;
    this.position = position;
  }
}

/** The filters every read endpoint shares, with the range already resolved to absolute times. */
export interface SearchFilters {
  range: ResolvedRange;
  services: readonly string[];
  levels: readonly Level[];
  q: string;
}

/** Pure: the query parameters for `filters` plus endpoint-specific `extra`. */
export function filterParams(
  filters: SearchFilters,
  extra: Record<string, string | readonly string[] | undefined> = {},
): URLSearchParams {
  const params = new URLSearchParams({
    from: new Date(filters.range.fromMs).toISOString(),
    to: new Date(filters.range.toMs).toISOString(),
  });
  for (const s of filters.services) params.append('service', s);
  for (const l of filters.levels) params.append('level', l);
  if (filters.q) params.set('q', filters.q);
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) continue;
    for (const v of typeof value === 'string' ? [value] : value) params.append(key, v);
  }
  return params;
}

/** Pure: the live-tail WebSocket address on the page's own host (without credentials: a ticket is added when opening). */
export function tailUrl(
  page: { protocol: string; host: string },
  filters: Omit<SearchFilters, 'range'>,
  since: string | undefined,
): string {
  const params = new URLSearchParams();
  for (const s of filters.services) params.append('service', s);
  for (const l of filters.levels) params.append('level', l);
  if (filters.q) params.set('q', filters.q);
  if (since) params.set('since', since);
  const query = params.toString();
  return `${page.protocol === 'https:' ? 'wss:' : 'ws:'}//${page.host}/api/v1/tail${query ? `?${query}` : ''}`;
}

export interface ApiClientOptions {
  fetch: typeof fetch;
  baseUrl?: string;
  apiKey?: () => string | undefined;
}

/** The query API, every answer checked against the shared schemas. */
export interface ApiClient {
  search(
    filters: SearchFilters,
    page: { limit: number; cursor?: string | null },
    signal?: AbortSignal,
  ): Promise<LogPage>;
  histogram(filters: SearchFilters, buckets: number, signal?: AbortSignal): Promise<Histogram>;
  facets(filters: SearchFilters, attributes: readonly string[], size: number, signal?: AbortSignal): Promise<Facets>;
  patterns(
    filters: SearchFilters,
    options: { buckets: number; limit: number },
    signal?: AbortSignal,
  ): Promise<Patterns>;
}

/** The part of a zod schema the client needs, so any of the shared schemas can be passed. */
export interface Schema<T> {
  safeParse(value: unknown): { success: true; data: T } | { success: false; error: { issues: { message: string }[] } };
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const base = options.baseUrl ?? '';
  async function get<T>(path: string, params: URLSearchParams, schema: Schema<T>, signal?: AbortSignal): Promise<T> {
    const key = options.apiKey?.();
    let res: Response;
    try {
      res = await options.fetch(`${base}${path}?${params}`, {
        signal,
        headers: key ? { authorization: `Bearer ${key}` } : {},
      });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new ApiRequestError(0, 'NETWORK', 'The query service could not be reached.');
    }
    return readAnswer(res, await res.json().catch(() => undefined), path, schema);
  }
  return {
    search: (filters, page, signal) =>
      get(
        '/api/v1/logs',
        filterParams(filters, { limit: String(page.limit), cursor: page.cursor ?? undefined }),
        LogPage,
        signal,
      ),
    histogram: (filters, buckets, signal) =>
      get('/api/v1/logs/histogram', filterParams(filters, { buckets: String(buckets) }), Histogram, signal),
    facets: (filters, attributes, size, signal) =>
      get('/api/v1/facets', filterParams(filters, { attribute: attributes, size: String(size) }), Facets, signal),
    patterns: (filters, options, signal) =>
      get(
        '/api/v1/patterns',
        filterParams(filters, { buckets: String(options.buckets), limit: String(options.limit) }),
        Patterns,
        signal,
      ),
  };
}

/** The answer's body read with `schema`, or the coded error the query service sent (or a plain one naming the status). */
export function readAnswer<T>(res: Response, body: unknown, path: string, schema: Schema<T>): T {
  if (!res.ok) {
    const parsed = ApiError.safeParse(body);
    if (parsed.success) {
      const e = parsed.data.error;
      throw new ApiRequestError(res.status, e.code, e.message, e.field, e.position);
    }
    throw new ApiRequestError(res.status, 'HTTP', `The query service answered HTTP ${res.status}.`);
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw new ApiRequestError(
      res.status,
      'BAD_RESPONSE',
      `Unexpected answer from ${path}: ${parsed.error.issues[0]?.message}`,
    );
  return parsed.data;
}
