import { test } from 'node:test';
import assert from 'node:assert/strict';
import { filterParams, tailUrl, type SearchFilters } from './api.ts';

const filters: SearchFilters = {
  range: { fromMs: Date.parse('2026-11-23T09:00:00Z'), toMs: Date.parse('2026-11-23T10:00:00Z') },
  services: ['checkout', 'payments'],
  levels: ['warn', 'error'],
  q: 'card declined',
};

test('every request carries the resolved range as absolute times, so its pages agree on "now"', () => {
  const params = filterParams(filters, { limit: '200', cursor: undefined, attribute: ['provider', 'region'] });
  assert.equal(
    params.toString(),
    'from=2026-11-23T09%3A00%3A00.000Z&to=2026-11-23T10%3A00%3A00.000Z&service=checkout&service=payments&level=warn&level=error&q=card+declined&limit=200&attribute=provider&attribute=region',
  );
});

test('an empty query is left out', () => {
  assert.equal(filterParams({ ...filters, services: [], levels: [], q: '' }).has('q'), false);
});

test('the tail address follows the page scheme and host and resumes from a position', () => {
  assert.equal(
    tailUrl({ protocol: 'http:', host: '127.0.0.1:8080' }, { ...filters, services: [], levels: [], q: '' }, undefined),
    'ws://127.0.0.1:8080/api/v1/tail',
  );
  assert.equal(
    tailUrl({ protocol: 'https:', host: 'logs.example' }, filters, 'pos-1'),
    'wss://logs.example/api/v1/tail?service=checkout&service=payments&level=warn&level=error&q=card+declined&since=pos-1',
  );
});
