import type { z } from 'zod';
import {
  DeleteRequest,
  DeleteResult,
  Facets,
  FacetsQuery,
  Histogram,
  HistogramQuery,
  IngestResponse,
  LogPage,
  LogSearchQuery,
  Patterns,
  PatternsQuery,
  TailMessage,
  TailQuery,
  TailTicket,
  Usage,
} from './api.ts';
import { LogRecordInput } from './log-record.ts';
import { SAVED_VIEW_ROUTES } from './saved-view-routes.ts';

/** Who may call a route: a key with that scope, or anyone. */
export type ApiAccess = 'ingest' | 'query' | 'admin' | 'public';

/** One HTTP route of the API: declared once here, documented by the OpenAPI document and served by a service. */
export interface ApiRoute {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** The path as fastify writes it. */
  path: string;
  summary: string;
  description?: string;
  access: ApiAccess;
  query?: z.ZodObject;
  /** Path parameters (`:id`). */
  params?: z.ZodObject;
  body?: { schema: z.ZodType; types: readonly string[] };
  /** The success answer: its status and body. */
  response: { status: number; schema: z.ZodType | null; description: string };
  /** A WebSocket endpoint: a plain GET is answered 426; the messages it sends. */
  websocket?: z.ZodType;
}

// An ingest body: one record, an array of them, or NDJSON (one record a line).
const IngestBody = LogRecordInput.or(LogRecordInput.array());

/** Every route under /api of the query service and the collector (the single process serves both). */
export const API_ROUTES: readonly ApiRoute[] = [
  {
    method: 'POST',
    path: '/api/v1/logs',
    access: 'ingest',
    summary: 'Send log records',
    description:
      'One record, a JSON array or NDJSON; up to 5 MiB. 202 once the records are durably queued; refused records are listed by index.',
    body: { schema: IngestBody, types: ['application/json', 'application/x-ndjson'] },
    response: { status: 202, schema: IngestResponse, description: 'Accepted (possibly with per-record refusals)' },
  },
  {
    method: 'GET',
    path: '/api/v1/logs',
    access: 'query',
    summary: 'Search records, newest first',
    query: LogSearchQuery,
    response: { status: 200, schema: LogPage, description: 'One page; next_cursor continues after its last record' },
  },
  {
    method: 'GET',
    path: '/api/v1/logs/histogram',
    access: 'query',
    summary: 'Counts per time bucket and level',
    query: HistogramQuery,
    response: { status: 200, schema: Histogram, description: 'Buckets of a readable width chosen from the range' },
  },
  {
    method: 'GET',
    path: '/api/v1/facets',
    access: 'query',
    summary: 'Top values of service, level and attributes',
    query: FacetsQuery,
    response: { status: 200, schema: Facets, description: 'Top values with counts, per field' },
  },
  {
    method: 'GET',
    path: '/api/v1/patterns',
    access: 'query',
    summary: 'Message templates of the newest matching records',
    description:
      'Groups the newest `sample` records matching the filters into templates (variable parts as placeholders). ' +
      'Counts, levels and sparklines count sampled records; `total` counts every match and `estimated_total` scales a ' +
      'pattern to it. A pattern\'s `query` (pattern:"<template>") selects its messages in any search.',
    query: PatternsQuery,
    response: { status: 200, schema: Patterns, description: 'Patterns, most frequent first, with the sample size' },
  },
  {
    method: 'GET',
    path: '/api/v1/tail',
    access: 'query',
    summary: 'Live tail (WebSocket)',
    query: TailQuery,
    websocket: TailMessage,
    description:
      'Upgrade to a WebSocket: ready, then records as they are stored. Close codes: 1013 too many tails, 1008 filter too complex, ' +
      '4008 reader too slow (resume with since), 4000 + HTTP status for a request to fix, 1011 a server fault.',
    response: { status: 101, schema: null, description: 'Switching protocols' },
  },
  {
    method: 'POST',
    path: '/api/v1/tail/ticket',
    access: 'query',
    summary: "A single-use ticket for the tail's URL, valid 30 s",
    response: { status: 200, schema: TailTicket, description: 'The ticket and when it expires' },
  },
  {
    method: 'GET',
    path: '/api/v1/admin/usage',
    access: 'admin',
    summary: "Records, bytes and time span per service of the caller's tenant",
    response: { status: 200, schema: Usage, description: 'Usage per service' },
  },
  {
    method: 'POST',
    path: '/api/v1/admin/delete',
    access: 'admin',
    summary: "Delete the caller's records matching q in a time range",
    body: { schema: DeleteRequest, types: ['application/json'] },
    response: { status: 200, schema: DeleteResult, description: 'How many records were deleted' },
  },
  {
    method: 'GET',
    path: '/api/v1/openapi.json',
    access: 'public',
    summary: 'This document',
    response: { status: 200, schema: null, description: 'The OpenAPI 3.1 document of the API' },
  },
  ...SAVED_VIEW_ROUTES,
];

/** The route declared for `method` and `path` (fastify's form); throws for one the table lacks. */
export function apiRoute(method: ApiRoute['method'], path: string): ApiRoute {
  const route = API_ROUTES.find((r) => r.method === method && r.path === path);
  if (!route) throw new Error(`${method} ${path} is not declared in API_ROUTES (packages/schema/src/api-routes.ts)`);
  return route;
}
