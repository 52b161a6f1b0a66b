import type { ApiRoute } from './api-routes.ts';
import {
  AlertHistory,
  AlertRule,
  AlertRuleInput,
  AlertRuleList,
  SavedIdParams,
  SavedView,
  SavedViewInput,
  SavedViewList,
} from './saved-views.ts';

const json = ['application/json'] as const;
const params = SavedIdParams;

/** Saved views and alert rules of the caller's tenant: `query` reads them, `admin` changes them. */
export const SAVED_VIEW_ROUTES: readonly ApiRoute[] = [
  {
    method: 'GET',
    path: '/api/v1/views',
    access: 'query',
    summary: 'Saved views, by name',
    response: { status: 200, schema: SavedViewList, description: "The tenant's saved views" },
  },
  {
    method: 'POST',
    path: '/api/v1/views',
    access: 'admin',
    summary: 'Save a search as a named view',
    body: { schema: SavedViewInput, types: json },
    response: { status: 201, schema: SavedView, description: 'The view, with its id and dashboard link' },
  },
  {
    method: 'GET',
    path: '/api/v1/views/:id',
    access: 'query',
    summary: 'One saved view',
    params,
    response: { status: 200, schema: SavedView, description: 'The view' },
  },
  {
    method: 'PUT',
    path: '/api/v1/views/:id',
    access: 'admin',
    summary: 'Replace a saved view (its id and link stay)',
    params,
    body: { schema: SavedViewInput, types: json },
    response: { status: 200, schema: SavedView, description: 'The view as saved' },
  },
  {
    method: 'DELETE',
    path: '/api/v1/views/:id',
    access: 'admin',
    summary: 'Delete a saved view',
    params,
    response: { status: 204, schema: null, description: 'Deleted' },
  },
  {
    method: 'GET',
    path: '/api/v1/alerts',
    access: 'query',
    summary: 'Alert rules with their current state',
    response: { status: 200, schema: AlertRuleList, description: "The tenant's rules" },
  },
  {
    method: 'POST',
    path: '/api/v1/alerts',
    access: 'admin',
    summary: 'Create an alert rule: a search, a count condition over a window, a webhook',
    body: { schema: AlertRuleInput, types: json },
    response: { status: 201, schema: AlertRule, description: 'The rule, inactive until evaluated' },
  },
  {
    method: 'GET',
    path: '/api/v1/alerts/:id',
    access: 'query',
    summary: 'One alert rule with its state',
    params,
    response: { status: 200, schema: AlertRule, description: 'The rule' },
  },
  {
    method: 'PUT',
    path: '/api/v1/alerts/:id',
    access: 'admin',
    summary: 'Replace an alert rule (its state is kept)',
    params,
    body: { schema: AlertRuleInput, types: json },
    response: { status: 200, schema: AlertRule, description: 'The rule as saved' },
  },
  {
    method: 'DELETE',
    path: '/api/v1/alerts/:id',
    access: 'admin',
    summary: 'Delete an alert rule (a firing one is not resolved at the receiver)',
    params,
    response: { status: 204, schema: null, description: 'Deleted' },
  },
  {
    method: 'GET',
    path: '/api/v1/alerts/:id/history',
    access: 'query',
    summary: "A rule's state changes, newest first",
    params,
    response: { status: 200, schema: AlertHistory, description: 'Up to 200 transitions' },
  },
];
