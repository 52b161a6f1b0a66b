import {
  AlertHistory,
  AlertRule,
  AlertRuleList,
  SavedView,
  SavedViewList,
  type AlertRuleInput,
  type SavedViewInput,
} from '@instant-logs/schema';
import { ApiRequestError, readAnswer, type Schema } from './api.ts';

/** Input as a client sends it: fields with a default may be left out. */
export type ViewDraft = Partial<SavedViewInput> & { name: string };
export type RuleDraft = Omit<Partial<AlertRuleInput>, 'condition' | 'webhook'> &
  Pick<AlertRuleInput, 'name' | 'condition' | 'webhook'>;

/** Saved views and alert rules of the caller's tenant; every answer checked against the shared schemas. */
export function createSavedApi(options: { fetch: typeof fetch; apiKey?: () => string | undefined; baseUrl?: string }) {
  const base = options.baseUrl ?? '';
  async function call<T>(method: string, path: string, schema: Schema<T> | null, body?: unknown): Promise<T> {
    const key = options.apiKey?.();
    let res: Response;
    try {
      res = await options.fetch(`${base}${path}`, {
        method,
        headers: {
          ...(key ? { authorization: `Bearer ${key}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch {
      throw new ApiRequestError(0, 'NETWORK', 'The query service could not be reached.');
    }
    const answer: unknown = res.status === 204 ? undefined : await res.json().catch(() => undefined);
    // No schema: an answer without a body (204) is all there is to check.
    return readAnswer(res, answer, path, schema ?? { safeParse: () => ({ success: true, data: undefined as T }) });
  }
  const id = (value: string) => encodeURIComponent(value);
  return {
    listViews: () => call('GET', '/api/v1/views', SavedViewList).then((l) => l.views),
    getView: (viewId: string) => call('GET', `/api/v1/views/${id(viewId)}`, SavedView),
    createView: (view: ViewDraft) => call('POST', '/api/v1/views', SavedView, view),
    deleteView: (viewId: string) => call<void>('DELETE', `/api/v1/views/${id(viewId)}`, null),
    listRules: () => call('GET', '/api/v1/alerts', AlertRuleList).then((l) => l.rules),
    createRule: (rule: RuleDraft) => call('POST', '/api/v1/alerts', AlertRule, rule),
    deleteRule: (ruleId: string) => call<void>('DELETE', `/api/v1/alerts/${id(ruleId)}`, null),
    history: (ruleId: string) =>
      call('GET', `/api/v1/alerts/${id(ruleId)}/history`, AlertHistory).then((h) => h.transitions),
  };
}
export type SavedApi = ReturnType<typeof createSavedApi>;
