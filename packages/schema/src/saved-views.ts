import { z } from 'zod';
import { LogFilterQuery } from './api.ts';
import { LEVELS } from './severity.ts';

// Letters and digits of any script, spaces and a few separators: a name shows in menus and in alert
// labels, so no control characters, quotes or angle brackets. It starts with a letter or digit.
const NAME = /^[\p{L}\p{N}][\p{L}\p{N} _.,:()/#&+-]*$/u;

/** A view's or rule's name: 1–100 characters, trimmed. */
export const SavedName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(100, 'must be at most 100 characters')
  .regex(NAME, 'use letters, digits, spaces and - _ . , : ( ) / # & +, starting with a letter or digit');

export const SavedIdParams = z.strictObject({ id: z.string().max(64) });

const filterList = <T extends z.ZodType>(max: number, item: T) => z.array(item).max(max).default([]);

/** The search a view or rule keeps: the same filters as GET /api/v1/logs, in body form. */
export const SavedSearch = z.object({
  q: LogFilterQuery.shape.q,
  service: filterList(50, z.string().min(1).max(256)),
  level: filterList(LEVELS.length, z.enum(LEVELS)),
});

/** What a client sends to save a view: a name and the dashboard's state. */
export const SavedViewInput = z.strictObject({
  name: SavedName,
  ...SavedSearch.shape,
  from: z.string().min(1).max(64).default('now-15m').describe('now-15m style, RFC 3339 or epoch milliseconds'),
  to: z.string().min(1).max(64).default('now'),
  columns: filterList(50, z.string().min(1).max(256)).describe('the results columns, e.g. attributes.http.status'),
  tz: z.enum(['local', 'utc']).nullable().default(null).describe("null: the viewer's own choice"),
});
export type SavedViewInput = z.infer<typeof SavedViewInput>;

export const SavedView = SavedViewInput.extend({
  name: z.string(),
  id: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  url: z.string().describe("the dashboard's link to this view: opens it with the view's state"),
});
export type SavedView = z.infer<typeof SavedView>;

export const SavedViewList = z.object({ views: z.array(SavedView) });
export type SavedViewList = z.infer<typeof SavedViewList>;

export const ALERT_STATES = ['inactive', 'pending', 'firing', 'resolved'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/**
 * `count op threshold` over the last `window_minutes`: `>` for too many records, `<` for too few (absence).
 * `rise` holds when the count is above `threshold` and at least `factor` times the count of the window
 * before (issue 13: a pattern's sudden rise); a window before with no records counts as a rise.
 */
export const AlertCondition = z
  .strictObject({
    op: z.enum(['>', '<', 'rise']),
    threshold: z
      .number()
      .int()
      .min(0)
      .max(1_000_000_000)
      .describe('rise: the count must also be above this, so a rise from 1 to 3 records pages nobody'),
    window_minutes: z.number().int().min(1).max(1440),
    factor: z
      .number()
      .gt(1)
      .max(1000)
      .optional()
      .describe('rise only (required there): how many times the count of the window before, e.g. 3'),
  })
  .superRefine((c, ctx) => {
    if (c.op === 'rise' && c.factor === undefined)
      ctx.addIssue({ code: 'custom', path: ['factor'], message: 'is required when op is rise' });
    if (c.op !== 'rise' && c.factor !== undefined)
      ctx.addIssue({ code: 'custom', path: ['factor'], message: `is only for op rise, not ${c.op}` });
  });
export type AlertCondition = z.infer<typeof AlertCondition>;

export const AlertWebhook = z.strictObject({
  type: z.enum(['alertmanager', 'json']).describe('alertmanager: POST {url}/api/v2/alerts; json: POST {url}'),
  url: z
    .url({ protocol: /^https?$/, error: 'must be an http or https URL' })
    .max(2048)
    .describe('an Alertmanager base URL, or the JSON receiver'),
});

/** What a client sends to create or replace an alert rule: a search and a condition on its count. */
export const AlertRuleInput = z.strictObject({
  name: SavedName,
  ...SavedSearch.shape,
  condition: AlertCondition,
  for_seconds: z
    .number()
    .int()
    .min(0)
    .max(86_400)
    .default(0)
    .describe('how long the condition must hold (pending) before the rule fires'),
  severity: z.enum(['critical', 'warning', 'info']).default('warning'),
  webhook: AlertWebhook,
  enabled: z.boolean().default(true),
});
export type AlertRuleInput = z.infer<typeof AlertRuleInput>;

/** A rule's evaluation state; `since` is when it entered it, `value` the last count. */
export const AlertRuleStatus = z.object({
  state: z.enum(ALERT_STATES),
  since: z.string().nullable(),
  value: z.number().nullable(),
  previous: z.number().nullable().describe('rise rules: the count of the window before the last one'),
  evaluated_at: z.string().nullable(),
  notified: z.string().nullable().describe('the state last delivered to the webhook'),
});
export type AlertRuleStatus = z.infer<typeof AlertRuleStatus>;

export const AlertRule = AlertRuleInput.extend({
  name: z.string(),
  id: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  status: AlertRuleStatus,
  url: z.string().describe("the dashboard's link to the rule's search"),
});
export type AlertRule = z.infer<typeof AlertRule>;

export const AlertRuleList = z.object({ rules: z.array(AlertRule) });
export type AlertRuleList = z.infer<typeof AlertRuleList>;

/** One change of a rule's state, with the count that caused it. */
export const AlertTransition = z.object({
  at: z.string(),
  from: z.enum(ALERT_STATES),
  to: z.enum(ALERT_STATES),
  value: z.number(),
  threshold: z.number(),
});
export const AlertHistory = z.object({ transitions: z.array(AlertTransition) });
export type AlertHistory = z.infer<typeof AlertHistory>;
